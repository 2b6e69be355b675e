require ["vacation", "fileinto"];

# Mailing-list mail goes to its own folder; everything else gets an out-of-office reply.
if header :contains "subject" "[list]" {
  fileinto "Lists";
  stop;
}
vacation :days 7 :subject "Out of office" "I am away until Monday.";
