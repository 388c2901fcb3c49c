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

# Enregistrer et reprendre : la note de la première page, le bouton et la page qui donne le lien.
survey-kept-note = Vos réponses sont enregistrées au fur et à mesure, page par page. Pour terminer plus tard, choisissez « Enregistrer et continuer plus tard » pour obtenir un lien qui vous ramène ici.
survey-save-later = Enregistrer et continuer plus tard
page-already-sent-title = Vos réponses ont déjà été envoyées
page-already-sent-text = Nous avons déjà reçu ces réponses, il n’y a rien d’autre à faire. Merci pour votre temps.
resume-heading = Vos réponses sont enregistrées
resume-page-title = Vos réponses sont enregistrées — { $title }
resume-page-title-error = Erreur : Vos réponses sont enregistrées — { $title }
resume-intro = Pour reprendre { $title } plus tard, sur cet appareil ou un autre, ouvrez ce lien :
resume-private = Gardez-le pour vous : toute personne qui a le lien peut voir et modifier vos réponses. Les réponses non terminées dans un délai de { $days ->
    [one] { $days } jour
   *[other] { $days } jours
} sont effacées.
resume-email-field = M’envoyer le lien par e-mail
resume-optional = (facultatif)
resume-email-hint = Nous utilisons cette adresse uniquement pour vous envoyer le lien et ne la conservons pas.
resume-email-label = Adresse e-mail
resume-send = Envoyer le lien
resume-sent = Nous avons envoyé le lien à { $email }. S’il n’arrive pas d’ici quelques minutes, regardez dans vos courriers indésirables ou copiez le lien ci-dessous.
resume-email-missing = saisissez l’adresse e-mail à laquelle envoyer le lien
resume-email-invalid = saisissez une adresse e-mail comme nom@example.com
resume-email-failed = Nous n’avons pas pu envoyer l’e-mail pour l’instant. Le lien ci-dessus fonctionne quand même : copiez-le ou réessayez dans un instant.
resume-expired-title = Ce lien ne fonctionne plus
resume-expired-text = Les réponses non terminées dans un délai de { $days ->
    [one] { $days } jour
   *[other] { $days } jours
} sont effacées : ce lien a donc expiré, ou il n’a pas été copié en entier. Vous pouvez recommencer le questionnaire.
resume-mail-subject = Reprendre le questionnaire : { $title }
resume-mail-body = Vos réponses à « { $title } » sont enregistrées. Pour reprendre là où vous vous êtes arrêté, ouvrez ce lien :

    { $link }

    Toute personne qui a ce lien peut voir et modifier vos réponses : gardez-le pour vous. Les réponses non terminées dans un délai de { $days ->
        [one] { $days } jour
       *[other] { $days } jours
    } sont effacées.

quota-full-title = Merci de votre intérêt

# Invitations personnelles : les lignes fixes du message et les pages de leurs liens.
invitation-mail-link = Répondez à l’enquête ici (ce lien n’est qu’à vous) :
invitation-mail-unsubscribe = Pour ne plus recevoir d’invitations ni de rappels de notre part, ouvrez :
invitation-reminder-subject-prefix = Rappel :
page-already-answered-title = Cette invitation a déjà reçu une réponse
page-already-answered-text = Nous avons déjà reçu des réponses par cette invitation : rien de plus n’est nécessaire. Merci pour votre temps.
page-invitation-unknown-title = Ce lien ne fonctionne pas
page-invitation-unknown-text = Ce lien d’invitation n’est pas valide : il n’a peut-être pas été copié en entier, ou il n’est plus utilisé.
unsubscribe-title = Se désabonner des invitations aux enquêtes
unsubscribe-text = Appuyez sur le bouton pour ne plus recevoir d’invitations ni de rappels de notre part.
unsubscribe-button = Se désabonner
unsubscribed-title = Vous êtes désabonné
unsubscribed-text = Vous ne recevrez plus d’invitations ni de rappels de notre part.
