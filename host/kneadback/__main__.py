"""`python -m kneadback`."""

from kneadback.cli import main

raise SystemExit(main())
