package hosted

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"golang.org/x/text/language"

	"github.com/caisse/caisse/internal/money"
)

// texts are one language's words on the page, by key.
type texts map[string]string

// languages are the page's languages; French first, the default.
var languages = map[string]texts{
	"fr": {
		"lang":                      "fr",
		"title":                     "Paiement",
		"pay_to":                    "Paiement à",
		"amount":                    "Montant",
		"items":                     "Articles",
		"expires_in":                "Expire dans",
		"phone":                     "Numéro de téléphone mobile money",
		"phone_hint":                "Laissez vide pour utiliser le numéro %s.",
		"phone_edit":                "Modifier le numéro",
		"channel":                   "Moyen de paiement",
		"pay":                       "Payer",
		"cancel":                    "Annuler le paiement",
		"cancel_question":           "Annuler ce paiement ?",
		"cancel_detail":             "Le paiement sera annulé et ne pourra plus être repris.",
		"cancel_yes":                "Oui, annuler",
		"cancel_no":                 "Non, revenir au paiement",
		"retry":                     "Réessayez avec un autre numéro ou un autre moyen de paiement",
		"operator_ref":              "Référence opérateur",
		"paid_with":                 "Payé avec",
		"paid_from":                 "Numéro",
		"back_to_payment":           "Revenir au paiement",
		"cross_origin":              "Ce formulaire n’a pas pu être vérifié. Rouvrez le lien de paiement et réessayez.",
		"too_large":                 "Le formulaire envoyé est trop long. Rechargez la page et réessayez.",
		"method":                    "Cette page ne peut pas être ouverte ainsi. Rouvrez le lien de paiement.",
		"back":                      "Retourner au marchand",
		"test_mode":                 "Mode test : aucun argent réel n’est débité.",
		"test_numbers":              "Numéros de test : le résultat dépend des 4 derniers chiffres.",
		"approve":                   "Validez le paiement sur votre téléphone",
		"approve_detail":            "Une demande de %s a été envoyée au %s. Composez votre code secret pour confirmer.",
		"redirect_wait":             "Préparation de votre paiement %s…",
		"redirect_title":            "Payez sur la page %s",
		"redirect_detail":           "Vous allez être redirigé vers %s pour payer %s.",
		"redirect_back":             "Nous attendons la confirmation de %s. Si vous n’avez pas encore payé, vous pouvez y retourner.",
		"redirect_go":               "Payer avec %s",
		"processing":                "Paiement en cours de traitement…",
		"processing_detail":         "L’opérateur confirme votre paiement. Cette page se met à jour toute seule.",
		"completed":                 "Paiement réussi",
		"receipt":                   "Reçu",
		"reference":                 "Référence",
		"paid_at":                   "Payé le",
		"failed":                    "Le paiement n’a pas abouti",
		"expired":                   "Ce lien de paiement a expiré",
		"expired_detail":            "Le délai pour payer est dépassé. Demandez un nouveau lien au marchand.",
		"cancelled":                 "Paiement annulé",
		"cancelled_detail":          "Ce paiement a été annulé. Aucun montant n’a été débité.",
		"not_found":                 "Lien de paiement introuvable",
		"not_found_detail":          "Vérifiez le lien reçu du marchand.",
		"forbidden":                 "Le formulaire a expiré. Rechargez la page et réessayez.",
		"error_phone":               "Ce numéro n’est pas valide. Vérifiez-le, par exemple +225 07 07 00 00 01.",
		"error_channel":             "Choisissez un moyen de paiement.",
		"no_channel":                "Aucun moyen de paiement n’est disponible pour ce marchand pour le moment.",
		"error_state":               "Ce paiement ne peut plus être modifié.",
		"error_operator":            "Le service de paiement est indisponible. Réessayez plus tard.",
		"reason_insufficient_funds": "Le solde de votre compte mobile money est insuffisant.",
		"reason_customer_rejected":  "Le paiement a été refusé sur votre téléphone.",
		"reason_operator_refused":   "L’opérateur de paiement a refusé le paiement.",
		"reason_other":              "L’opérateur a refusé le paiement.",
		"scenario_approve":          "le client valide et le paiement réussit (ainsi que tout autre numéro)",
		"scenario_decline":          "l’opérateur refuse : solde insuffisant",
		"scenario_reject":           "le client refuse sur son téléphone",
		"scenario_no_answer":        "le client ne répond jamais : le paiement attend jusqu’à l’expiration",
		"scenario_stuck":            "le client valide mais l’opérateur ne confirme jamais",
	},
	"en": {
		"lang":                      "en",
		"title":                     "Payment",
		"pay_to":                    "Pay",
		"amount":                    "Amount",
		"items":                     "Items",
		"expires_in":                "Expires in",
		"phone":                     "Mobile money phone number",
		"phone_hint":                "Leave empty to use %s.",
		"phone_edit":                "Change the number",
		"channel":                   "Pay with",
		"pay":                       "Pay",
		"cancel":                    "Cancel the payment",
		"cancel_question":           "Cancel this payment?",
		"cancel_detail":             "The payment will be cancelled and cannot be resumed.",
		"cancel_yes":                "Yes, cancel",
		"cancel_no":                 "No, go back",
		"retry":                     "Try again with another number or another way to pay",
		"operator_ref":              "Operator reference",
		"paid_with":                 "Paid with",
		"paid_from":                 "Phone number",
		"back_to_payment":           "Back to the payment",
		"cross_origin":              "This form could not be checked. Open the payment link again and retry.",
		"too_large":                 "The form sent is too long. Reload the page and try again.",
		"method":                    "This page cannot be opened that way. Open the payment link again.",
		"back":                      "Return to the merchant",
		"test_mode":                 "Test mode: no real money moves.",
		"test_numbers":              "Test numbers: the outcome depends on the last 4 digits.",
		"approve":                   "Approve the payment on your phone",
		"approve_detail":            "A request for %s was sent to %s. Enter your PIN to confirm.",
		"redirect_wait":             "Preparing your %s payment…",
		"redirect_title":            "Pay on the %s page",
		"redirect_detail":           "You are being taken to %s to pay %s.",
		"redirect_back":             "Waiting for %s to confirm. If you have not paid yet, you can go back to it.",
		"redirect_go":               "Pay with %s",
		"processing":                "Processing your payment…",
		"processing_detail":         "The operator is confirming your payment. This page updates by itself.",
		"completed":                 "Payment successful",
		"receipt":                   "Receipt",
		"reference":                 "Reference",
		"paid_at":                   "Paid on",
		"failed":                    "The payment did not go through",
		"expired":                   "This payment link has expired",
		"expired_detail":            "The time to pay has run out. Ask the merchant for a new link.",
		"cancelled":                 "Payment cancelled",
		"cancelled_detail":          "This payment was cancelled. Nothing was charged.",
		"not_found":                 "Payment link not found",
		"not_found_detail":          "Check the link the merchant sent you.",
		"forbidden":                 "This form has expired. Reload the page and try again.",
		"error_phone":               "This number is not valid. Check it, for example +225 07 07 00 00 01.",
		"error_channel":             "Choose how to pay.",
		"no_channel":                "No way to pay is available for this merchant right now.",
		"error_state":               "This payment can no longer be changed.",
		"error_operator":            "The payment service is unavailable. Try again later.",
		"reason_insufficient_funds": "Your mobile money balance is too low.",
		"reason_customer_rejected":  "The payment was declined on your phone.",
		"reason_operator_refused":   "The payment operator refused the payment.",
		"reason_other":              "The operator declined the payment.",
		"scenario_approve":          "the customer approves and the payment succeeds (as with any other number)",
		"scenario_decline":          "the operator declines: insufficient funds",
		"scenario_reject":           "the customer rejects it on their phone",
		"scenario_no_answer":        "the customer never answers: the payment waits until the session expires",
		"scenario_stuck":            "the customer approves but the operator never settles",
	},
}

var matcher = language.NewMatcher([]language.Tag{language.French, language.English})

// pickLanguage chooses the page's language: the session's locale, then the
// browser's Accept-Language, then French.
func pickLanguage(locale string, r *http.Request) string {
	base, _, _ := strings.Cut(strings.ToLower(locale), "-")
	if _, ok := languages[base]; ok {
		return base
	}
	tags, _, err := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	if err != nil || len(tags) == 0 {
		return "fr"
	}
	_, i, conf := matcher.Match(tags...)
	if conf == language.No {
		return "fr"
	}
	return []string{"fr", "en"}[i]
}

// formatAmount renders minor units for a language: "5 000 FCFA", "XOF 5,000".
func formatAmount(lang string, minor int64, currency string) string {
	if lang == "en" {
		return money.FormatEnglish(minor, money.Currency(currency))
	}
	return money.FormatFrench(minor, money.Currency(currency))
}

// timeLeft says how long until a deadline: "12 min", "3 h 05 min".
func timeLeft(d time.Duration) string {
	m := max(0, int64(d.Round(time.Minute)/time.Minute))
	if m < 60 {
		return fmt.Sprintf("%d min", m)
	}
	return fmt.Sprintf("%d h %02d min", m/60, m%60)
}

// reasonText is a failure reason in plain words.
func reasonText(t texts, reason string) string {
	if s, ok := t["reason_"+reason]; ok {
		return s
	}
	return t["reason_other"]
}

// channelNames are the channels as customers know them.
var channelNames = map[string]string{
	"orange_money": "Orange Money", "mtn_momo": "MTN MoMo", "moov_money": "Moov Money", "wave": "Wave",
}
