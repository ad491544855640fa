"""The atlas (issue 15): per-example difficulty scores of every example of a data set, from the
three papers' measures and the standard ones of the literature, released as a verified table."""
