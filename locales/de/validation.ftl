# Was Befragte über eine Antwort erfahren, die nicht angenommen werden kann.

invalid-required = diese Frage ist ein Pflichtfeld
invalid-not-shown = diese Frage wird bei den übrigen Antworten nicht gezeigt (show_if: { $show_if })
invalid-unknown-question = unbekannte Frage
invalid-too-many-answers = { $given } Antworten, aber dieses Formular hat { $allowed ->
    [one] { $allowed } Frage
   *[other] { $allowed } Fragen
}
invalid-too-many-hidden = { $given } versteckte Felder, aber dieses Formular hat { $allowed }
invalid-unknown-hidden = unbekanntes verstecktes Feld
invalid-hidden-not-string = muss eine Zeichenkette sein
invalid-hidden-too-long = darf höchstens { $max } Zeichen lang sein
invalid-not-one-option = muss eine Option sein, als Zeichenkette
invalid-not-one-of = muss eine der folgenden sein: { $options }
invalid-not-a-list = muss eine Liste von Optionen sein
invalid-not-a-list-of-strings = muss eine Liste von Optionen sein, als Zeichenketten
invalid-chosen-twice = „{ $choice }“ ist doppelt gewählt
invalid-not-an-option = „{ $choice }“ ist keine Option; die Optionen sind { $options }
invalid-one-other = nur eine Antwort darf außerhalb der Optionen liegen (der Text zu „Andere“)
invalid-not-a-number = muss eine Zahl sein
invalid-not-whole = muss eine ganze Zahl sein
invalid-too-many-decimals = darf höchstens { $places } Nachkommastellen haben
invalid-between = muss zwischen { $min } und { $max } liegen
invalid-at-least = muss mindestens { $min } sein
invalid-at-most = darf höchstens { $max } sein
invalid-not-text = muss Text sein
invalid-too-long = ist { $chars } Zeichen lang; höchstens { $max } werden angenommen
invalid-email-not-text = muss eine E-Mail-Adresse sein, als Text
invalid-not-an-email = muss eine E-Mail-Adresse wie name@example.com sein
invalid-consent-unticked = setzen Sie das Häkchen, um vor dem Start zuzustimmen: ohne Zustimmung speichern wir keine Antworten
validation-options-more = und { $count } weitere
