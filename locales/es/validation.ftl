# Lo que se dice a quien responde sobre una respuesta que no se puede aceptar.

invalid-required = esta pregunta es obligatoria
invalid-not-shown = esta pregunta no se muestra con las demás respuestas (show_if: { $show_if })
invalid-unknown-question = pregunta desconocida
invalid-too-many-answers = { $given } respuestas, pero este formulario tiene { $allowed ->
    [one] { $allowed } pregunta
   *[other] { $allowed } preguntas
}
invalid-too-many-hidden = { $given } campos ocultos, pero este formulario tiene { $allowed }
invalid-unknown-hidden = campo oculto desconocido
invalid-hidden-not-string = debe ser una cadena de texto
invalid-hidden-too-long = debe tener como máximo { $max } caracteres
invalid-not-one-option = debe ser una opción, como texto
invalid-not-one-of = debe ser una de estas opciones: { $options }
invalid-not-a-list = debe ser una lista de opciones
invalid-not-a-list-of-strings = debe ser una lista de opciones, como textos
invalid-chosen-twice = «{ $choice }» está elegida dos veces
invalid-not-an-option = «{ $choice }» no es una opción; las opciones son { $options }
invalid-one-other = solo una respuesta puede quedar fuera de las opciones (el texto de «Otra»)
invalid-not-a-number = debe ser un número
invalid-not-whole = debe ser un número entero
invalid-too-many-decimals = puede tener como máximo { $places } decimales
invalid-between = debe estar entre { $min } y { $max }
invalid-at-least = debe ser como mínimo { $min }
invalid-at-most = debe ser como máximo { $max }
invalid-not-text = debe ser texto
invalid-too-long = tiene { $chars } caracteres; se aceptan como máximo { $max }
invalid-email-not-text = debe ser una dirección de correo electrónico, como texto
invalid-not-an-email = debe ser una dirección de correo electrónico como nombre@example.com
invalid-consent-unticked = marque la casilla para dar su acuerdo antes de empezar: sin él no guardamos ninguna respuesta
validation-options-more = y { $count } más
invalid-matrix-not-object = debe ser un objeto que asigne a cada fila su respuesta
invalid-matrix-not-a-row = '{ $key }' no es una fila
invalid-matrix-row = fila '{ $row }': { $why }
invalid-whole-from-to = debe ser un número entero de { $min } a { $max }
invalid-matrix-rows-missing = cada fila necesita una respuesta: { $rows }
invalid-several = { $list }
invalid-rank-shared = dé cada puesto a una sola opción
invalid-rank-not-a-list = debe ser una lista de opciones, la mejor primero
invalid-rank-not-strings = debe ser una lista de opciones, como texto, la mejor primero
invalid-rank-unknown = '{ $option }' no es una opción
invalid-ranked-twice = '{ $option }' tiene dos puestos
invalid-rank-all = ordene las { $count } opciones
invalid-rank-between = ordene al menos { $fewest } y como mucho { $most } opciones
