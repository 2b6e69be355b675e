<?php
// PHPMailer (Debian's libphp-phpmailer) with SMTPDebug: one message.
// usage: php phpmailer_send.php SECURE HOST PORT CAFILE USER PASSWORD DEBUGLEVEL FROM TO
//   SECURE: tls (STARTTLS) or ssl (implicit TLS)
require '/usr/share/php/libphp-phpmailer/autoload.php';
use PHPMailer\PHPMailer\PHPMailer;
use PHPMailer\PHPMailer\Exception;

[, $secure, $host, $port, $cafile, $user, $password, $level, $from, $to] = $argv;
$mail = new PHPMailer(true);
try {
    $mail->isSMTP();
    $mail->SMTPDebug = (int) $level;
    $mail->Debugoutput = 'echo';
    $mail->Host = $host;
    $mail->Port = (int) $port;
    $mail->SMTPSecure = $secure === 'ssl' ? PHPMailer::ENCRYPTION_SMTPS : PHPMailer::ENCRYPTION_STARTTLS;
    $mail->SMTPAuth = true;
    $mail->Username = $user;
    $mail->Password = $password;
    $mail->SMTPOptions = ['ssl' => ['cafile' => $cafile, 'verify_peer' => true]];
    $mail->Hostname = 'client.example';
    $mail->setFrom($from);
    $mail->addAddress($to);
    $mail->Subject = "mailchat corpus: PHPMailer $secure";
    $mail->Body = "Sent by PHPMailer.";
    $mail->send();
    echo "Message has been sent\n";
} catch (Exception $e) {
    echo "Message could not be sent. Mailer Error: {$mail->ErrorInfo}\n";
    exit(1);
}
