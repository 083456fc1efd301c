"""The product's Superset dashboards as code: the export bundle tree and its loader.

- `bundle/`: the committed export tree (databases, datasets, charts, dashboards,
  metadata.yaml), cross-referenced by UUID, with no secrets.
- `security.yaml`: roles, demo users and the row-level security of the Engineer role.
- `loader.py`: import the tree into a running Superset (idempotent), set up roles, users and
  RLS, export the current state back into the tree (normalised, for review as a diff).
"""

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
BUNDLE_DIR = PACKAGE_DIR / "bundle"
SECURITY_FILE = PACKAGE_DIR / "security.yaml"
