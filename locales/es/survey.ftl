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
