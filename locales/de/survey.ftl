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
