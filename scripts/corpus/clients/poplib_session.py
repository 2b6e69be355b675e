# Python poplib with set_debuglevel(2): log in, LIST, RETR the first message, DELE it.
# usage: poplib_session.py MODE HOST PORT CAFILE USER PASSWORD
#   MODE: stls (110-like, STLS) or ssl (POP3_SSL, 995-like)
import poplib
import ssl
import sys

mode, host, port, cafile, user, password = sys.argv[1:]
context = ssl.create_default_context(cafile=cafile)
if mode == "ssl":
    pop = poplib.POP3_SSL(host, int(port), context=context)
else:
    pop = poplib.POP3(host, int(port))
pop.set_debuglevel(2)
if mode == "stls":
    pop.capa()
    pop.stls(context=context)
pop.user(user)
pop.pass_(password)
listing = pop.list()
if listing[1]:
    pop.retr(1)
    pop.dele(1)
pop.quit()
