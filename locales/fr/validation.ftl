# Ce qu'on dit à la personne interrogée d'une réponse qui ne peut pas être acceptée.

invalid-required = cette question est obligatoire
invalid-not-shown = cette question n'est pas affichée pour les autres réponses (show_if : { $show_if })
invalid-unknown-question = question inconnue
invalid-too-many-answers = { $given } réponses, mais ce formulaire a { $allowed ->
    [one] { $allowed } question
   *[other] { $allowed } questions
}
invalid-too-many-hidden = { $given } champs cachés, mais ce formulaire en a { $allowed }
invalid-unknown-hidden = champ caché inconnu
invalid-hidden-not-string = doit être une chaîne de caractères
invalid-hidden-too-long = doit faire au plus { $max } caractères
invalid-not-one-option = doit être une option, sous forme de texte
invalid-not-one-of = doit être l'une des options suivantes : { $options }
invalid-not-a-list = doit être une liste d'options
invalid-not-a-list-of-strings = doit être une liste d'options, sous forme de textes
invalid-chosen-twice = « { $choice } » est choisi deux fois
invalid-not-an-option = « { $choice } » n'est pas une option ; les options sont { $options }
invalid-one-other = une seule réponse peut être hors des options (le texte « Autre »)
invalid-not-a-number = doit être un nombre
invalid-not-whole = doit être un nombre entier
invalid-too-many-decimals = peut avoir au plus { $places } décimales
invalid-between = doit être compris entre { $min } et { $max }
invalid-at-least = doit être au moins { $min }
invalid-at-most = doit être au plus { $max }
invalid-not-text = doit être du texte
invalid-too-long = fait { $chars } caractères ; au plus { $max } sont acceptés
invalid-email-not-text = doit être une adresse e-mail, sous forme de texte
invalid-not-an-email = doit être une adresse e-mail comme nom@example.com
invalid-consent-unticked = cochez la case pour donner votre accord avant de commencer : sans cela, nous ne gardons aucune réponse
validation-options-more = et { $count } autres
invalid-matrix-not-object = doit être un objet qui associe à chaque ligne sa réponse
invalid-matrix-not-a-row = '{ $key }' n’est pas une ligne
invalid-matrix-row = ligne '{ $row }' : { $why }
invalid-whole-from-to = doit être un nombre entier de { $min } à { $max }
invalid-matrix-rows-missing = chaque ligne demande une réponse : { $rows }
invalid-several = { $list }
invalid-rank-shared = donnez chaque rang à une seule option
invalid-rank-not-a-list = doit être une liste d’options, la meilleure en premier
invalid-rank-not-strings = doit être une liste d’options, en texte, la meilleure en premier
invalid-rank-unknown = '{ $option }' n’est pas une option
invalid-ranked-twice = '{ $option }' est classée deux fois
invalid-rank-all = classez les { $count } options
invalid-rank-between = classez au moins { $fewest } et au plus { $most } options
