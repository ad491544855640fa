"""Baldock, Maennel, Neyshabur 2021: example difficulty as prediction depth."""
