# The hosted survey's own words, in English: the fallback for every other language.
# A translator edits the text after `=`; `{ $name }` placeholders stay as they are.

# The language's name in itself, shown on the language switch.
language-name = English
language-switch = Language

survey-next = Next
survey-back = Back
survey-submit = Submit
survey-progress = Page { $number } of { $count }
# The browser tab's title: read first by screen readers as the page loads.
survey-page-title = { $title } — page { $number } of { $count }
survey-page-title-error = Error: { $title } — page { $number } of { $count }
survey-error-summary = { $count ->
    [one] Please check this answer
   *[other] Please check these { $count } answers
}
# A link of the error summary: the question (or "Consent"), then what is wrong with it.
survey-error-link = { $question }: { $message }
survey-required = (required)
survey-other = Other (please specify)
survey-other-text = Other, please specify
survey-nps-low = Not at all likely
survey-nps-high = Extremely likely

survey-consent-heading = Before you start
survey-consent-agree = I have read this and agree
# Before a consent error in the error summary: "Consent: tick the box…".
survey-consent-label = Consent

survey-notice-restart = Your earlier answers could not be read, so this page starts the survey again.
survey-notice-bad-link = The link you followed carries a value we cannot accept. Please ask for a fresh link.
survey-notice-disk-full = Our server has run out of room to store answers, so yours were not saved yet. They are all still here: please send them again in a little while.
survey-notice-retry = We could not save your answers just now. They are all still here: please send them again.

page-not-found-title = Survey not found
page-not-found-text = There is no survey at this address. Please check the link you were sent.
page-closed-title = This survey is closed
page-closed-text = This survey no longer takes answers. Thank you for your interest.
page-error-title = Something went wrong
page-unreadable-text = Your answers could not be read. Please go back and try again.

thanks-heading = Thank you!
thanks-page-title = Thank you — { $title }
thanks-default = Your answers help us build something better for you.
thanks-receipt-intro = Your answers are saved. If you ever want them deleted, keep this receipt and send it to the team that asked you:
thanks-receipt = response { $id } · receipt { $receipt }

# Save and resume: the first page's note, the button, and the page that gives the link.
survey-kept-note = Your answers are kept as you go, page by page. To finish later, choose “Save and continue later” for a link back to where you are.
survey-save-later = Save and continue later
page-already-sent-title = Your answers were already sent
page-already-sent-text = We received these answers before, so nothing more is needed. Thank you for your time.
resume-heading = Your answers are saved
resume-page-title = Your answers are saved — { $title }
resume-page-title-error = Error: Your answers are saved — { $title }
resume-intro = To continue { $title } later, on this device or another, open this link:
resume-private = Please keep it to yourself: anyone with the link can see and change your answers. Answers that are not finished within { $days ->
    [one] { $days } day
   *[other] { $days } days
} are erased.
resume-email-field = Email me the link
resume-optional = (optional)
resume-email-hint = We use this address only to send you the link, and do not keep it.
# Before an address error in the error summary: "Email address: enter…".
resume-email-label = Email address
resume-send = Send the link
resume-sent = We sent the link to { $email }. If it does not arrive in a few minutes, look in your spam folder, or copy the link below.
resume-email-missing = enter the email address to send the link to
resume-email-invalid = enter an email address like name@example.com
resume-email-failed = We could not send the email just now. The link above works all the same: please copy it, or try again in a moment.
resume-expired-title = This link no longer works
resume-expired-text = Answers that are not finished within { $days ->
    [one] { $days } day
   *[other] { $days } days
} are erased, so this link has expired, or it was not copied whole. You are welcome to start the survey again.
resume-mail-subject = Continue the survey: { $title }
resume-mail-body = Your answers to “{ $title }” are saved. To continue where you left off, open this link:

    { $link }

    Anyone with this link can see and change your answers, so please keep it to yourself. Answers that are not finished within { $days ->
        [one] { $days } day
       *[other] { $days } days
    } are erased.

# A quota with no place left: the title above the quota's own message.
quota-full-title = Thank you for your interest

# Personal invitations: the fixed lines of the message, and the pages of their links.
invitation-mail-link = Answer the survey here (this link is yours alone):
invitation-mail-unsubscribe = To receive no more invitations or reminders from us, open:
invitation-reminder-subject-prefix = Reminder:
page-already-answered-title = This invitation has been answered
page-already-answered-text = We already have answers through this invitation, so nothing more is needed. Thank you for your time.
page-invitation-unknown-title = This link does not work
page-invitation-unknown-text = This invitation link is not valid: it may not have been copied whole, or it is no longer in use.
unsubscribe-title = Unsubscribe from survey invitations
unsubscribe-text = Press the button to receive no more survey invitations or reminders from us.
unsubscribe-button = Unsubscribe
unsubscribed-title = You are unsubscribed
unsubscribed-text = You will receive no more survey invitations or reminders from us.
