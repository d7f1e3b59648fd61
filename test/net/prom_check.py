#!/usr/bin/python3
# prom_check.py FILE: parses FILE as Prometheus text exposition format with
# the reference parser (Debian's python3-prometheus-client) and prints the
# families as JSON: {name: {"type": t, "samples": [[name, {labels}, value]]}}.
# Exit 2 if the parser is missing, 1 if the text does not parse.
import json
import sys

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    print("prometheus_client not installed (apt-get install python3-prometheus-client)", file=sys.stderr)
    sys.exit(2)

text = open(sys.argv[1], encoding="utf-8").read()
out = {}
try:
    for fam in text_string_to_metric_families(text):
        if fam.name in out:
            raise ValueError("family %s twice" % fam.name)
        out[fam.name] = {"type": fam.type, "samples": [[s.name, s.labels, s.value] for s in fam.samples]}
except Exception as e:  # the parser raises ValueError and others
    print("parse error: %s" % e, file=sys.stderr)
    sys.exit(1)
print(json.dumps(out))
