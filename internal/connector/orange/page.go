package orange

import (
	"html/template"
	"net/http"
)

// pageView is what the simulator's payment page shows.
type pageView struct {
	Lang      string // fr or en
	Action    string // the form's target: the page's own path
	Amount    int64
	Currency  string
	Reference string
	Phone     string // as typed, when the form is shown again
	Error     string
	Closed    bool // the payment cannot be paid (any more)
}

// pageText is the payment page's wording in one language.
type pageText struct {
	Title, Merchant, Phone, OTP, Hint, Pay, Cancel, Closed, BadPhone, BadOTP string
}

var pageTexts = map[string]pageText{
	"fr": {
		Title: "Paiement Orange Money", Merchant: "Paiement pour", Phone: "Votre numéro Orange Money",
		OTP: "Code de paiement", Hint: "Obtenez un code de paiement dans le menu Orange Money de votre téléphone (#144#). Simulateur : tout code de 4 à 6 chiffres convient.",
		Pay: "Confirmer le paiement", Cancel: "Annuler", Closed: "Ce paiement n'est plus disponible.",
		BadPhone: "Numéro invalide : 8 à 15 chiffres.", BadOTP: "Code invalide : 4 à 6 chiffres.",
	},
	"en": {
		Title: "Orange Money payment", Merchant: "Payment for", Phone: "Your Orange Money number",
		OTP: "Payment code", Hint: "Get a payment code from your phone's Orange Money menu (#144#). Simulator: any code of 4 to 6 digits will do.",
		Pay: "Confirm payment", Cancel: "Cancel", Closed: "This payment is no longer available.",
		BadPhone: "Invalid number: 8 to 15 digits.", BadOTP: "Invalid code: 4 to 6 digits.",
	},
}

func text(lang string) pageText {
	if t, ok := pageTexts[lang]; ok {
		return t
	}
	return pageTexts["fr"]
}

// pageTemplate is the payment page: no script, one column, usable at 360 px.
var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="{{.V.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.T.Title}}</title>
<style>
body{margin:0;font-family:system-ui,sans-serif;background:#f4f4f4;color:#000}
header{background:#ff7900;color:#fff;padding:14px 16px;font-weight:bold;font-size:1.2rem}
main{max-width:420px;margin:0 auto;padding:16px}
.amount{font-size:1.6rem;font-weight:bold;margin:4px 0 16px}
label{display:block;margin:14px 0 4px;font-weight:bold}
input{box-sizing:border-box;width:100%;font-size:1.1rem;padding:10px;border:1px solid #888;border-radius:4px}
button{box-sizing:border-box;width:100%;font-size:1.1rem;padding:12px;margin-top:14px;border:0;border-radius:4px}
#orange-pay{background:#ff7900;color:#000;font-weight:bold}
#orange-cancel{background:#ddd;color:#000}
.hint{font-size:.9rem;color:#444}
.error{color:#b00020;font-weight:bold}
</style>
</head>
<body>
<header>Orange Money</header>
<main>
{{if .V.Closed}}<p id="orange-closed" class="error">{{.T.Closed}}</p>{{else}}
<p>{{.T.Merchant}} <strong>{{.V.Reference}}</strong></p>
<p class="amount" id="orange-amount">{{.V.Amount}} {{.V.Currency}}</p>
{{if .V.Error}}<p id="orange-error" class="error" role="alert">{{.V.Error}}</p>{{end}}
<form method="post" action="{{.V.Action}}">
<label for="orange-phone">{{.T.Phone}}</label>
<input id="orange-phone" name="phone" type="tel" inputmode="tel" autocomplete="tel" required value="{{.V.Phone}}">
<label for="orange-otp">{{.T.OTP}}</label>
<input id="orange-otp" name="otp" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{4,6}" maxlength="6" required>
<p class="hint">{{.T.Hint}}</p>
<button id="orange-pay" name="action" value="pay" type="submit">{{.T.Pay}}</button>
<button id="orange-cancel" name="action" value="cancel" type="submit" formnovalidate>{{.T.Cancel}}</button>
</form>{{end}}
</main>
</body>
</html>
`))

// renderPage answers code with the payment page for v.
func renderPage(w http.ResponseWriter, code int, v pageView) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = pageTemplate.Execute(w, struct {
		V pageView
		T pageText
	}{v, text(v.Lang)})
}
