"""A local SMTP server (aiosmtpd) for the email channel's tests, on
127.0.0.1 only. Every accepted message is appended to --out as a JSON line
(envelope sender, recipients, raw message). --fail N answers the first N
messages with a transient 451; --reject answers every message with 550.
--user/--password require AUTH PLAIN; --cert/--key offer STARTTLS
and then require it."""
import argparse
import json
import signal
import ssl
import logging
import os
import warnings

# SMTP_SINK_DEBUG=1 logs every command; otherwise only errors.
logging.basicConfig(level=logging.DEBUG if os.environ.get("SMTP_SINK_DEBUG") else logging.ERROR)
warnings.filterwarnings("ignore")

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--out", required=True)
parser.add_argument("--fail", type=int, default=0)
parser.add_argument("--reject", action="store_true")
parser.add_argument("--user")
parser.add_argument("--password")
parser.add_argument("--cert")
parser.add_argument("--key")
args = parser.parse_args()


class Sink:
    def __init__(self):
        self.fail = args.fail

    async def handle_DATA(self, server, session, envelope):
        if args.reject:
            return "550 5.7.1 relaying denied"
        if self.fail > 0:
            self.fail -= 1
            return "451 4.3.0 try again later"
        with open(args.out, "a") as f:
            f.write(json.dumps({
                "from": envelope.mail_from,
                "to": envelope.rcpt_tos,
                "data": envelope.content.decode("utf8", errors="replace"),
                "tls": session.ssl is not None,
                "auth": session.authenticated,
            }) + "\n")
        return "250 OK"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login.decode() == args.user
        and auth_data.password.decode() == args.password
    )
    # handled=False: aiosmtpd answers 235 or 535 itself.
    return AuthResult(success=ok, handled=False)


kwargs = {}
if args.user:
    # PLAIN only: lettre falls back to LOGIN after a failed PLAIN, and
    # aiosmtpd's LOGIN then waits for the client until it times out.
    kwargs.update(authenticator=authenticator, auth_required=True,
                  auth_exclude_mechanism=["LOGIN"])
if args.cert:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.cert, args.key)
    kwargs.update(tls_context=context, require_starttls=True)
else:
    kwargs.update(auth_require_tls=False)

controller = Controller(Sink(), hostname="127.0.0.1", port=args.port, **kwargs)
controller.start()
print("ready", flush=True)
try:
    signal.pause()
finally:
    controller.stop()
