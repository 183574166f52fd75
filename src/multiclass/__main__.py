"""`python -m multiclass` runs the command-line tool."""

from multiclass.cli import main

raise SystemExit(main())
