# Python smtplib with set_debuglevel(2): one message, as a user script would send it.
# usage: smtplib_send.py MODE HOST PORT CAFILE USER PASSWORD FROM TO...
#   MODE: starttls (587-like), ssl (SMTP_SSL, 465-like), plain (port 25, no AUTH), lmtp
import smtplib
import ssl
import sys
from email.message import EmailMessage

mode, host, port, cafile, user, password, sender, *recipients = sys.argv[1:]
context = ssl.create_default_context(cafile=cafile)
msg = EmailMessage()
msg["From"] = sender
msg["To"] = ", ".join(recipients)
msg["Subject"] = f"mailchat corpus: smtplib {mode}"
msg.set_content("Sent by Python smtplib for the mailchat client-log corpus.\n")

if mode == "ssl":
    client = smtplib.SMTP_SSL(host, int(port), context=context)
elif mode == "lmtp":
    client = smtplib.LMTP(host, int(port))
else:
    client = smtplib.SMTP(host, int(port))
client.set_debuglevel(2)
client.ehlo("client.example")  # LMTP's LHLO
if mode != "lmtp":
    if mode == "starttls":
        client.starttls(context=context)
        client.ehlo("client.example")
    if user != "-":
        client.login(user, password)
try:
    client.send_message(msg, from_addr=sender, to_addrs=recipients)
finally:
    client.quit()
