"""``python -m jobs.cli``: the casefile command."""

from jobs.cli import main

raise SystemExit(main())
