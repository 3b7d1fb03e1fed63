"""Drive an interactive program on a pseudo-terminal like a person would:
wait for each prompt, type a line, and print the whole screen text (ANSI
escapes removed). Usage: pty_session.py PROMPT_RE -- CMD... -- LINE...
Environment passes through (SETTLE_HISTORY, ...)."""
import os
import pty
import re
import select
import sys
import time

args = sys.argv[1:]
prompt = re.compile(args[0].encode())
split = args.index("--", 2)
cmd, lines = args[2:split], args[split + 1:]

pid, fd = pty.fork()
if pid == 0:
    os.execvp(cmd[0], cmd)


def until_prompt(timeout=60):
    buf = b""
    end = time.time() + timeout
    while time.time() < end:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        buf += chunk
        # The screen's last line, as a person sees it: escapes and carriage
        # returns gone (rustyline redraws the prompt with both).
        last = buf.split(b"\n")[-1]
        shown = re.sub(rb"\x1b\[[0-9;?]*[a-zA-Z]", b"", last).replace(b"\r", b"")
        if prompt.search(shown):
            break
    return buf


screen = until_prompt()
for line in lines:
    os.write(fd, line.encode() + b"\r")
    screen += until_prompt()
os.waitpid(pid, 0)
text = screen.decode(errors="replace")
text = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", text).replace("\r", "")
print(text)
