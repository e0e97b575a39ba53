"""Run ghostwright with `python -m ghostwright`."""

from ghostwright.cli import main

raise SystemExit(main())
