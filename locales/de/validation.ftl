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
invalid-matrix-not-object = muss ein Objekt sein, das jeder Zeile ihre Antwort zuordnet
invalid-matrix-not-a-row = '{ $key }' ist keine Zeile
invalid-matrix-row = Zeile '{ $row }': { $why }
invalid-whole-from-to = muss eine ganze Zahl von { $min } bis { $max } sein
invalid-matrix-rows-missing = jede Zeile braucht eine Antwort: { $rows }
invalid-several = { $list }
invalid-rank-shared = vergeben Sie jeden Rang nur an eine Option
invalid-rank-not-a-list = muss eine Liste von Optionen sein, die beste zuerst
invalid-rank-not-strings = muss eine Liste von Optionen als Text sein, die beste zuerst
invalid-rank-unknown = '{ $option }' ist keine Option
invalid-ranked-twice = '{ $option }' hat zwei Ränge
invalid-rank-all = bringen Sie alle { $count } Optionen in eine Reihenfolge
invalid-rank-between = ordnen Sie mindestens { $fewest } und höchstens { $most } Optionen einen Rang zu
