# Los textos propios de las páginas de la encuesta, en español. Se traduce el texto tras `=`;
# los marcadores `{ $name }` se dejan tal cual.

language-name = Español
language-switch = Idioma

survey-next = Siguiente
survey-back = Atrás
survey-submit = Enviar
survey-progress = Página { $number } de { $count }
survey-page-title = { $title } — página { $number } de { $count }
survey-page-title-error = Error: { $title } — página { $number } de { $count }
survey-error-summary = { $count ->
    [one] Revise esta respuesta
   *[other] Revise estas { $count } respuestas
}
survey-error-link = { $question }: { $message }
survey-required = (obligatoria)
survey-other = Otra (especifique)
survey-other-text = Otra, especifique
survey-nps-low = Nada probable
survey-nps-high = Muy probable

survey-consent-heading = Antes de empezar
survey-consent-agree = He leído esto y estoy de acuerdo
survey-consent-label = Consentimiento

survey-notice-restart = No se pudieron leer sus respuestas anteriores, así que la encuesta vuelve a empezar en esta página.
survey-notice-bad-link = El enlace que siguió lleva un valor que no podemos aceptar. Pida un enlace nuevo.
survey-notice-disk-full = Nuestro servidor se ha quedado sin espacio para guardar respuestas, así que las suyas aún no se han guardado. Siguen todas aquí: envíelas de nuevo dentro de un rato.
survey-notice-retry = No pudimos guardar sus respuestas ahora mismo. Siguen todas aquí: envíelas de nuevo.

page-not-found-title = Encuesta no encontrada
page-not-found-text = No hay ninguna encuesta en esta dirección. Compruebe el enlace que recibió.
page-closed-title = Esta encuesta está cerrada
page-closed-text = Esta encuesta ya no acepta respuestas. Gracias por su interés.
page-error-title = Algo salió mal
page-unreadable-text = No se pudieron leer sus respuestas. Vuelva atrás e inténtelo de nuevo.

thanks-heading = ¡Gracias!
thanks-page-title = Gracias — { $title }
thanks-default = Sus respuestas nos ayudan a crear algo mejor para usted.
thanks-receipt-intro = Sus respuestas están guardadas. Si alguna vez quiere que se borren, conserve este recibo y envíelo al equipo que le preguntó:
thanks-receipt = respuesta { $id } · recibo { $receipt }

# Guardar y continuar: la nota de la primera página, el botón y la página que da el enlace.
survey-kept-note = Sus respuestas se guardan a medida que avanza, página a página. Para terminar más tarde, elija «Guardar y continuar más tarde» y obtendrá un enlace para volver aquí.
survey-save-later = Guardar y continuar más tarde
page-already-sent-title = Sus respuestas ya se enviaron
page-already-sent-text = Ya recibimos estas respuestas, así que no hace falta nada más. Gracias por su tiempo.
resume-heading = Sus respuestas están guardadas
resume-page-title = Sus respuestas están guardadas — { $title }
resume-page-title-error = Error: Sus respuestas están guardadas — { $title }
resume-intro = Para continuar { $title } más tarde, en este dispositivo o en otro, abra este enlace:
resume-private = Guárdelo para usted: cualquiera que tenga el enlace puede ver y cambiar sus respuestas. Las respuestas que no se terminen en { $days ->
    [one] { $days } día
   *[other] { $days } días
} se borran.
resume-email-field = Enviarme el enlace por correo
resume-optional = (opcional)
resume-email-hint = Usamos esta dirección solo para enviarle el enlace y no la guardamos.
resume-email-label = Correo electrónico
resume-send = Enviar el enlace
resume-sent = Enviamos el enlace a { $email }. Si no llega en unos minutos, revise la carpeta de correo no deseado o copie el enlace de abajo.
resume-email-missing = escriba la dirección de correo a la que enviar el enlace
resume-email-invalid = escriba una dirección de correo como nombre@example.com
resume-email-failed = No pudimos enviar el correo ahora mismo. El enlace de arriba funciona igualmente: cópielo o inténtelo de nuevo en un momento.
resume-expired-title = Este enlace ya no funciona
resume-expired-text = Las respuestas que no se terminan en { $days ->
    [one] { $days } día
   *[other] { $days } días
} se borran, así que este enlace ha caducado o no se copió entero. Puede empezar la encuesta de nuevo.
resume-mail-subject = Continuar la encuesta: { $title }
resume-mail-body = Sus respuestas a «{ $title }» están guardadas. Para continuar donde lo dejó, abra este enlace:

    { $link }

    Cualquiera que tenga este enlace puede ver y cambiar sus respuestas, así que guárdelo para usted. Las respuestas que no se terminen en { $days ->
        [one] { $days } día
       *[other] { $days } días
    } se borran.

quota-full-title = Gracias por su interés

# Invitaciones personales: las líneas fijas del mensaje y las páginas de sus enlaces.
invitation-mail-link = Responda a la encuesta aquí (este enlace es solo suyo):
invitation-mail-unsubscribe = Para no recibir más invitaciones ni recordatorios nuestros, abra:
invitation-reminder-subject-prefix = Recordatorio:
page-already-answered-title = Esta invitación ya tiene respuesta
page-already-answered-text = Ya recibimos respuestas con esta invitación, así que no hace falta nada más. Gracias por su tiempo.
page-invitation-unknown-title = Este enlace no funciona
page-invitation-unknown-text = Este enlace de invitación no es válido: puede que no se haya copiado entero o que ya no se use.
unsubscribe-title = Darse de baja de las invitaciones a encuestas
unsubscribe-text = Pulse el botón para no recibir más invitaciones ni recordatorios de encuestas de nuestra parte.
unsubscribe-button = Darse de baja
unsubscribed-title = Se ha dado de baja
unsubscribed-text = No recibirá más invitaciones ni recordatorios de encuestas de nuestra parte.
