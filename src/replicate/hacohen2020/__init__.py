"""Hacohen, Choshen, Weinshall 2020: ensembles learn examples in the same order."""
