"""Parses the messages an SMTP sink wrote (JSON lines with the raw message
in "data") with Python's email package and prints, per message, its subject
and attachments: [{"subject", "attachments": [{"filename", "content_type",
"text"}]}] (attachment bodies decoded; text as UTF-8).
Usage: mail_attachments.py MAIL.jsonl"""
import email
import email.policy
import json
import sys

out = []
with open(sys.argv[1]) as f:
    for line in f:
        msg = email.message_from_string(json.loads(line)["data"], policy=email.policy.default)
        atts = []
        for part in msg.iter_attachments():
            body = part.get_payload(decode=True)
            atts.append({
                "filename": part.get_filename(),
                "content_type": part.get_content_type(),
                "text": body.decode("utf8", errors="replace"),
            })
        out.append({"subject": msg["subject"], "attachments": atts})
print(json.dumps(out))
