package wave

import (
	"html/template"
	"net/http"
	"strings"

	"github.com/caisse/caisse/internal/connector"
)

// The page at a session's wave_launch_url stands for the Wave app: the
// customer types a Wave number and pays or cancels, with a plain form (no
// JavaScript) whose fields have stable ids for browser tests: wave-phone,
// wave-pay, wave-cancel.

var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Wave (simulator)</title>
<style>
body{margin:0;font-family:system-ui,sans-serif;background:#1dc3ff;color:#0b2540}
main{max-width:360px;margin:0 auto;padding:24px 16px;box-sizing:border-box}
.card{background:#fff;border-radius:16px;padding:20px}
h1{font-size:20px;margin:0 0 4px}.amount{font-size:32px;font-weight:700;margin:12px 0}
label{display:block;font-size:14px;margin:16px 0 6px}
input{width:100%;box-sizing:border-box;font-size:18px;padding:12px;border:1px solid #9ab;border-radius:10px}
button{width:100%;font-size:18px;padding:14px;margin-top:12px;border:0;border-radius:10px}
#wave-pay{background:#0b2540;color:#fff}#wave-cancel{background:#e8eef3;color:#0b2540}
.note{font-size:13px;color:#567;margin-top:16px}.error{color:#b00020}
</style></head>
<body><main><div class="card">
<h1>{{.Business}}</h1>
<div class="amount" id="wave-amount">{{.Amount}} {{.Currency}}</div>
{{if .Message}}<p id="wave-message" class="{{if .Error}}error{{end}}">{{.Message}}</p>{{end}}
{{if .Open}}<form method="post" action="{{.Action}}">
<label for="wave-phone">Your Wave number</label>
<input id="wave-phone" name="phone" type="tel" inputmode="tel" autocomplete="tel" value="{{.Phone}}" placeholder="+221761110000">
<button id="wave-pay" name="action" value="pay" type="submit">Pay</button>
<button id="wave-cancel" name="action" value="cancel" type="submit">Cancel</button>
</form>
<p class="note">Wave simulator: the number's last 4 digits choose the outcome (0002 declines, 0003 cancels, 0004 never approves…).</p>{{end}}
</div></main></body></html>
`))

// pageData fills pageTemplate.
type pageData struct {
	Business, Amount, Currency, Phone, Action, Message string
	Open, Error                                        bool
}

// lookup returns the session a page is about, as it stands.
func (sim *Simulator) lookup(r *http.Request) (*simSession, session, bool) {
	sim.mu.Lock()
	defer sim.mu.Unlock()
	ss, ok := sim.byID[r.PathValue("id")]
	if !ok {
		return nil, session{}, false
	}
	return ss, sim.view(ss), true
}

// page serves GET /c/{id}: the payment form, or where the session stands.
func (sim *Simulator) page(w http.ResponseWriter, r *http.Request) {
	sim.record(r)
	_, s, ok := sim.lookup(r)
	if !ok {
		http.NotFound(w, r)
		return
	}
	sim.render(w, http.StatusOK, s, "", false)
}

// pay serves POST /c/{id}: the customer pays (action=pay, with phone) or
// cancels (action=cancel). The browser is sent to success_url or error_url
// at once; the outcome and its webhook follow after Delay.
func (sim *Simulator) pay(w http.ResponseWriter, r *http.Request) {
	sim.record(r)
	ss, s, ok := sim.lookup(r)
	if !ok {
		http.NotFound(w, r)
		return
	}
	if s.CheckoutStatus != checkoutOpen {
		sim.render(w, http.StatusConflict, s, "This payment is no longer open.", true)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		sim.render(w, http.StatusBadRequest, s, "The form could not be read.", true)
		return
	}
	phone := strings.Map(func(c rune) rune {
		if c == ' ' || c == '-' || c == '.' {
			return -1
		}
		return c
	}, r.PostForm.Get("phone"))
	if phone != "" && !strings.HasPrefix(phone, "+") {
		phone = "+" + phone
	}
	action := r.PostForm.Get("action")
	sc := ScenarioFor(phone)
	var outcomes []outcome
	success := false // where the browser goes: success_url or error_url
	switch {
	case action == "cancel":
		outcomes = []outcome{cancelled}
	case action != "pay":
		sim.render(w, http.StatusBadRequest, s, "Choose Pay or Cancel.", true)
		return
	case !e164.MatchString(phone):
		sim.render(w, http.StatusBadRequest, s, "Type your Wave number with its country code, such as +221761110000.", true)
		return
	case s.RestrictPayerMobile != nil && *s.RestrictPayerMobile != phone:
		outcomes = []outcome{failed("payer-mobile-mismatch")}
	case sc.Wait:
		sim.render(w, http.StatusOK, s, "Approve the payment in your Wave app.", false)
		return
	case sc.Cancel:
		outcomes = []outcome{cancelled}
	case sc.Error != "":
		outcomes = []outcome{failed(sc.Error)}
	case sc.Late:
		outcomes = []outcome{failed("insufficient-funds"), paid}
	default:
		outcomes, success = []outcome{paid}, true
	}
	sim.mu.Lock()
	if sim.closed {
		sim.mu.Unlock()
		sim.render(w, http.StatusServiceUnavailable, s, "Wave is not available.", true)
		return
	}
	sim.wg.Go(func() { sim.play(ss, sc.Silent, outcomes...) })
	sim.mu.Unlock()
	sim.Log.Info("wave simulator: customer answered", "id", s.ID, "action", action, "payer", connector.MaskPhone(phone), "scenario", sc.Name)
	to := s.ErrorURL
	if success {
		to = s.SuccessURL
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

func (sim *Simulator) render(w http.ResponseWriter, code int, s session, msg string, isErr bool) {
	d := pageData{Business: s.BusinessName, Amount: s.Amount, Currency: s.Currency, Action: "/c/" + s.ID,
		Message: msg, Error: isErr, Open: s.CheckoutStatus == checkoutOpen}
	if s.RestrictPayerMobile != nil {
		d.Phone = *s.RestrictPayerMobile
	}
	if !d.Open && msg == "" {
		d.Message = "This payment is " + s.CheckoutStatus + " (" + s.PaymentStatus + ")."
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	_ = pageTemplate.Execute(w, d)
}

// record notes a page request, which carries no credentials.
func (sim *Simulator) record(r *http.Request) {
	sim.mu.Lock()
	sim.requests = append(sim.requests, Request{Method: r.Method, Path: r.URL.Path})
	sim.mu.Unlock()
}
