"""Pliushch, Mundt, Lupp, Ramesh 2022: true-positive agreement of deep classifiers."""
