"""Contract peer: validate JSONL event files against schemas/*.schema.json.

Usage: python3 validate_events.py SCHEMAS_DIR DIR
DIR holds stripe_events.jsonl, orders.jsonl, tracking.jsonl, remittances.jsonl.
Prints {"file": {"valid": n, "invalid": [first errors]}} as JSON.
"""
import json
import os
import sys

from jsonschema import Draft202012Validator, FormatChecker

schemas_dir, events_dir = sys.argv[1], sys.argv[2]
files = {
    "stripe_events.jsonl": "stripe_event",
    "orders.jsonl": "order_change",
    "tracking.jsonl": "tracking_update",
    "remittances.jsonl": "remittance_line",
}
out = {}
for name, contract in files.items():
    with open(os.path.join(schemas_dir, f"{contract}.schema.json")) as f:
        validator = Draft202012Validator(json.load(f), format_checker=FormatChecker())
    valid, invalid = 0, []
    path = os.path.join(events_dir, name)
    if os.path.exists(path):
        with open(path) as f:
            for n, line in enumerate(f, 1):
                errors = list(validator.iter_errors(json.loads(line)))
                if errors:
                    invalid.append(f"{name}:{n}: {errors[0].message}")
                else:
                    valid += 1
    out[name] = {"valid": valid, "invalid": invalid[:5]}
print(json.dumps(out))
