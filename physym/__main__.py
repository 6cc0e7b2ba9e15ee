"""``python -m physym`` runs the command line."""

from physym.cli.main import main

raise SystemExit(main())
