"""Review and sampling (issue 17): investigators confirm the links and records that decide the count.

- :mod:`~jobs.review.sampling`: Cochran's sample size with finite-population correction, the Wilson interval;
- :mod:`~jobs.review.queue`: the review queue of a seizure (band around the threshold, tier-deciding links,
  seeded random samples), pure Python over the committed outputs;
- :mod:`~jobs.review.decisions`: the append-only, hash-chained decision log in the case's work store;
- :mod:`~jobs.review.apply`: the decisions applied in the deduplicate stage (Spark), stale ones reported;
- :mod:`~jobs.review.report`: ``review.csv`` rows and the review section of ``summary.json``;
- :mod:`~jobs.review.web`: the local review page (Flask, loopback only, one-time token).
"""
