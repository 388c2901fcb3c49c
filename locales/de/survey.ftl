# Die eigenen Texte der Umfrageseiten, auf Deutsch. Übersetzt wird der Text nach `=`;
# Platzhalter `{ $name }` bleiben, wie sie sind.

language-name = Deutsch
language-switch = Sprache

survey-next = Weiter
survey-back = Zurück
survey-submit = Absenden
survey-progress = Seite { $number } von { $count }
survey-page-title = { $title } — Seite { $number } von { $count }
survey-page-title-error = Fehler: { $title } — Seite { $number } von { $count }
survey-error-summary = { $count ->
    [one] Bitte prüfen Sie diese Antwort
   *[other] Bitte prüfen Sie diese { $count } Antworten
}
survey-error-link = { $question }: { $message }
survey-required = (Pflichtfeld)
survey-other = Andere (bitte angeben)
survey-other-text = Andere, bitte angeben
survey-nps-low = Überhaupt nicht wahrscheinlich
survey-nps-high = Äußerst wahrscheinlich

survey-consent-heading = Bevor Sie beginnen
survey-consent-agree = Ich habe dies gelesen und stimme zu
survey-consent-label = Einwilligung

survey-notice-restart = Ihre bisherigen Antworten konnten nicht gelesen werden, daher beginnt die Umfrage auf dieser Seite neu.
survey-notice-bad-link = Der Link, dem Sie gefolgt sind, enthält einen Wert, den wir nicht annehmen können. Bitte fordern Sie einen neuen Link an.
survey-notice-disk-full = Unser Server hat keinen Platz mehr, um Antworten zu speichern, daher wurden Ihre noch nicht gespeichert. Sie sind alle noch hier: Bitte senden Sie sie in Kürze erneut.
survey-notice-retry = Wir konnten Ihre Antworten gerade nicht speichern. Sie sind alle noch hier: Bitte senden Sie sie erneut.

page-not-found-title = Umfrage nicht gefunden
page-not-found-text = Unter dieser Adresse gibt es keine Umfrage. Bitte prüfen Sie den Link, den Sie erhalten haben.
page-closed-title = Diese Umfrage ist geschlossen
page-closed-text = Diese Umfrage nimmt keine Antworten mehr an. Vielen Dank für Ihr Interesse.
page-error-title = Etwas ist schiefgelaufen
page-unreadable-text = Ihre Antworten konnten nicht gelesen werden. Bitte gehen Sie zurück und versuchen Sie es erneut.

thanks-heading = Vielen Dank!
thanks-page-title = Vielen Dank — { $title }
thanks-default = Ihre Antworten helfen uns, etwas Besseres für Sie zu bauen.
thanks-receipt-intro = Ihre Antworten sind gespeichert. Falls Sie sie jemals löschen lassen möchten, bewahren Sie diese Quittung auf und senden Sie sie an das Team, das Sie gefragt hat:
thanks-receipt = Antwort { $id } · Quittung { $receipt }

# Speichern und später fortsetzen: der Hinweis auf der ersten Seite, die Schaltfläche und die Seite mit dem Link.
survey-kept-note = Ihre Antworten werden Seite für Seite gespeichert. Um später weiterzumachen, wählen Sie „Speichern und später fortsetzen“ und erhalten einen Link zurück an diese Stelle.
survey-save-later = Speichern und später fortsetzen
page-already-sent-title = Ihre Antworten wurden bereits gesendet
page-already-sent-text = Wir haben diese Antworten bereits erhalten, es ist nichts weiter nötig. Vielen Dank für Ihre Zeit.
resume-heading = Ihre Antworten sind gespeichert
resume-page-title = Ihre Antworten sind gespeichert — { $title }
resume-page-title-error = Fehler: Ihre Antworten sind gespeichert — { $title }
resume-intro = Um { $title } später fortzusetzen, auf diesem oder einem anderen Gerät, öffnen Sie diesen Link:
resume-private = Bitte behalten Sie ihn für sich: Wer den Link hat, kann Ihre Antworten sehen und ändern. Antworten, die nicht innerhalb von { $days ->
    [one] { $days } Tag
   *[other] { $days } Tagen
} abgeschlossen werden, werden gelöscht.
resume-email-field = Link per E-Mail senden
resume-optional = (optional)
resume-email-hint = Wir verwenden diese Adresse nur, um Ihnen den Link zu senden, und speichern sie nicht.
resume-email-label = E-Mail-Adresse
resume-send = Link senden
resume-sent = Wir haben den Link an { $email } gesendet. Falls er nicht innerhalb weniger Minuten ankommt, sehen Sie im Spam-Ordner nach oder kopieren Sie den Link unten.
resume-email-missing = Geben Sie die E-Mail-Adresse ein, an die der Link gehen soll
resume-email-invalid = Geben Sie eine E-Mail-Adresse wie name@example.com ein
resume-email-failed = Wir konnten die E-Mail gerade nicht senden. Der Link oben funktioniert trotzdem: Bitte kopieren Sie ihn oder versuchen Sie es gleich noch einmal.
resume-expired-title = Dieser Link funktioniert nicht mehr
resume-expired-text = Antworten, die nicht innerhalb von { $days ->
    [one] { $days } Tag
   *[other] { $days } Tagen
} abgeschlossen werden, werden gelöscht. Dieser Link ist daher abgelaufen oder wurde nicht vollständig kopiert. Sie können die Umfrage gern neu beginnen.
resume-mail-subject = Umfrage fortsetzen: { $title }
resume-mail-body = Ihre Antworten zu „{ $title }“ sind gespeichert. Um dort weiterzumachen, wo Sie aufgehört haben, öffnen Sie diesen Link:

    { $link }

    Wer diesen Link hat, kann Ihre Antworten sehen und ändern. Bitte behalten Sie ihn daher für sich. Antworten, die nicht innerhalb von { $days ->
        [one] { $days } Tag
       *[other] { $days } Tagen
    } abgeschlossen werden, werden gelöscht.

quota-full-title = Vielen Dank für Ihr Interesse

# Persönliche Einladungen: die festen Zeilen der Nachricht und die Seiten ihrer Links.
invitation-mail-link = Hier geht es zur Umfrage (dieser Link gilt nur für Sie):
invitation-mail-unsubscribe = Wenn Sie keine Einladungen oder Erinnerungen mehr von uns erhalten möchten, öffnen Sie:
invitation-reminder-subject-prefix = Erinnerung:
page-already-answered-title = Diese Einladung wurde bereits beantwortet
page-already-answered-text = Über diese Einladung haben wir bereits Antworten erhalten, es ist also nichts weiter nötig. Vielen Dank für Ihre Zeit.
page-invitation-unknown-title = Dieser Link funktioniert nicht
page-invitation-unknown-text = Dieser Einladungslink ist ungültig: Vielleicht wurde er nicht vollständig kopiert, oder er wird nicht mehr verwendet.
unsubscribe-title = Umfrage-Einladungen abbestellen
unsubscribe-text = Drücken Sie die Schaltfläche, um keine Umfrage-Einladungen oder Erinnerungen mehr von uns zu erhalten.
unsubscribe-button = Abbestellen
unsubscribed-title = Sie haben abbestellt
unsubscribed-text = Sie erhalten keine Umfrage-Einladungen oder Erinnerungen mehr von uns.
