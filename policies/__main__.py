"""The imagepin policy pack: every rule in `imagepin.rules` as a policy of the same name.

    pulumi preview --stack prod --policy-pack policies \\
        --policy-pack-config policies/config/prod.json

Run directly by the Pulumi CLI (`python -m pulumi.policy <engine> policies`), which executes
this file; it starts the analyzer and prints its port. `IMAGEPIN_POLICY_FLOOR=1` keeps every
policy but makes each validation return at once: the floor `benchmarks/policy_throughput.py`
measures the rules against.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
try:
    import imagepin  # noqa: F401 (installed from requirements.txt: `-e ..`)
except ImportError:  # running from a checkout without the requirements installed
    sys.path.insert(0, str(HERE.parent))

sys.path.insert(0, str(HERE))

from imagepin_pack import build_pack  # noqa: E402

build_pack(floor=os.environ.get("IMAGEPIN_POLICY_FLOOR") == "1")
