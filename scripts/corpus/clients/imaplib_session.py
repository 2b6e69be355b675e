# Python imaplib with Debug = 4: log in, SELECT INBOX, FETCH, and optionally STORE + EXPUNGE.
# usage: imaplib_session.py MODE HOST PORT CAFILE USER PASSWORD [store]
#   MODE: starttls (143-like) or ssl (IMAP4_SSL, 993-like)
import imaplib
import ssl
import sys

mode, host, port, cafile, user, password, *extra = sys.argv[1:]
imaplib.Debug = 4
context = ssl.create_default_context(cafile=cafile)
if mode == "ssl":
    imap = imaplib.IMAP4_SSL(host, int(port), ssl_context=context)
else:
    imap = imaplib.IMAP4(host, int(port))
    imap.starttls(ssl_context=context)
imap.login(user, password)
typ, data = imap.select("INBOX")
count = int(data[0])
if count:
    imap.fetch("1", "(FLAGS RFC822.SIZE BODY.PEEK[HEADER])")
    if "store" in extra:
        imap.store("1", "+FLAGS", "(\\Deleted)")
        imap.expunge()
imap.logout()
