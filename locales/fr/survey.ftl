# Les textes propres aux pages d'enquête, en français. Traduire le texte après `=` ;
# les paramètres `{ $name }` restent tels quels.

language-name = Français
language-switch = Langue

survey-next = Suivant
survey-back = Retour
survey-submit = Envoyer
survey-progress = Page { $number } sur { $count }
survey-page-title = { $title } — page { $number } sur { $count }
survey-page-title-error = Erreur : { $title } — page { $number } sur { $count }
survey-error-summary = { $count ->
    [one] Veuillez vérifier cette réponse
   *[other] Veuillez vérifier ces { $count } réponses
}
survey-error-link = { $question } : { $message }
survey-required = (obligatoire)
survey-other = Autre (veuillez préciser)
survey-other-text = Autre, veuillez préciser
survey-nps-low = Pas du tout probable
survey-nps-high = Très probable

survey-consent-heading = Avant de commencer
survey-consent-agree = J'ai lu ce texte et j'accepte
survey-consent-label = Consentement

survey-notice-restart = Vos réponses précédentes n'ont pas pu être lues : l'enquête recommence donc sur cette page.
survey-notice-bad-link = Le lien que vous avez suivi contient une valeur que nous ne pouvons pas accepter. Veuillez demander un nouveau lien.
survey-notice-disk-full = Notre serveur n'a plus de place pour enregistrer les réponses : les vôtres ne sont pas encore enregistrées. Elles sont toutes encore ici : veuillez les renvoyer dans un moment.
survey-notice-retry = Nous n'avons pas pu enregistrer vos réponses pour l'instant. Elles sont toutes encore ici : veuillez les renvoyer.

page-not-found-title = Enquête introuvable
page-not-found-text = Il n'y a aucune enquête à cette adresse. Veuillez vérifier le lien que vous avez reçu.
page-closed-title = Cette enquête est close
page-closed-text = Cette enquête n'accepte plus de réponses. Merci de votre intérêt.
page-error-title = Une erreur s'est produite
page-unreadable-text = Vos réponses n'ont pas pu être lues. Veuillez revenir en arrière et réessayer.

thanks-heading = Merci !
thanks-page-title = Merci — { $title }
thanks-default = Vos réponses nous aident à construire quelque chose de mieux pour vous.
thanks-receipt-intro = Vos réponses sont enregistrées. Si vous souhaitez un jour les faire supprimer, conservez ce reçu et envoyez-le à l'équipe qui vous a interrogé :
thanks-receipt = réponse { $id } · reçu { $receipt }
