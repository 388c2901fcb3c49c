# What a respondent is told about an answer that cannot be accepted, one message per
# validation code (src/form/invalid.rs). Shown beside the field and in the error summary.

invalid-required = this question is required
invalid-not-shown = this question is not shown for the other answers (show_if: { $show_if })
invalid-unknown-question = unknown question
invalid-too-many-answers = { $given } answers, but this form has { $allowed ->
    [one] { $allowed } question
   *[other] { $allowed } questions
}
invalid-too-many-hidden = { $given } hidden fields, but this form has { $allowed }
invalid-unknown-hidden = unknown hidden field
invalid-hidden-not-string = must be a string
invalid-hidden-too-long = must be at most { $max } characters
invalid-not-one-option = must be one option, as a string
invalid-not-one-of = must be one of { $options }
invalid-not-a-list = must be a list of options
invalid-not-a-list-of-strings = must be a list of options, as strings
invalid-chosen-twice = '{ $choice }' is chosen twice
invalid-not-an-option = '{ $choice }' is not an option; options are { $options }
invalid-one-other = only one answer may be outside the options (the 'other' text)
invalid-not-a-number = must be a number
invalid-not-whole = must be a whole number
invalid-too-many-decimals = may have at most { $places } decimal places
invalid-between = must be between { $min } and { $max }
invalid-at-least = must be at least { $min }
invalid-at-most = must be at most { $max }
invalid-not-text = must be text
invalid-too-long = is { $chars } characters long; at most { $max } are accepted
invalid-email-not-text = must be an email address, as text
invalid-not-an-email = must be an email address such as name@example.com
invalid-consent-unticked = tick the box to agree before you start: without it we keep no answers
invalid-matrix-not-object = must be an object that maps each row to its answer
invalid-matrix-not-a-row = '{ $key }' is not a row
invalid-matrix-row = row '{ $row }' { $why }
invalid-whole-from-to = must be a whole number from { $min } to { $max }
invalid-matrix-rows-missing = every row needs an answer: { $rows }
# Every problem of one answer, joined by "; ".
invalid-several = { $list }
invalid-rank-shared = give each rank to one option only
invalid-rank-not-a-list = must be a list of options, best first
invalid-rank-not-strings = must be a list of options, as strings, best first
invalid-rank-unknown = '{ $option }' is not an option
invalid-ranked-twice = '{ $option }' is ranked twice
invalid-rank-all = rank all { $count } options
invalid-rank-between = rank at least { $fewest } and at most { $most } options
# After the first few options of a long list: "'a', 'b', … and 4 more".
validation-options-more = and { $count } more
