package hosted

import (
	"fmt"
	"time"
	_ "time/tzdata" // the zones below, on a machine without /usr/share/zoneinfo
	"unicode"
)

// regionZones are the time zones of the countries caisse's customers pay
// from (checkout.Region), one per country: all of these keep one time, and
// none has summer time.
var regionZones = map[string]string{
	// UTC+0
	"CI": "Africa/Abidjan", "SN": "Africa/Dakar", "ML": "Africa/Bamako", "BF": "Africa/Ouagadougou",
	"TG": "Africa/Lome", "GN": "Africa/Conakry", "GW": "Africa/Bissau", "GH": "Africa/Accra",
	"SL": "Africa/Freetown", "GM": "Africa/Banjul", "LR": "Africa/Monrovia", "MR": "Africa/Nouakchott",
	// UTC+1
	"BJ": "Africa/Porto-Novo", "NE": "Africa/Niamey", "NG": "Africa/Lagos", "CM": "Africa/Douala",
	"GA": "Africa/Libreville", "CG": "Africa/Brazzaville", "TD": "Africa/Ndjamena", "CF": "Africa/Bangui",
	"GQ": "Africa/Malabo", "CD": "Africa/Kinshasa",
	// UTC+2, UTC+3
	"RW": "Africa/Kigali", "ZM": "Africa/Lusaka", "KE": "Africa/Nairobi", "UG": "Africa/Kampala",
	"TZ": "Africa/Dar_es_Salaam", "MG": "Indian/Antananarivo",
}

// zones are regionZones loaded, at start-up.
var zones = func() map[string]*time.Location {
	out := map[string]*time.Location{}
	for region, name := range regionZones {
		loc, err := time.LoadLocation(name)
		if err != nil {
			panic("hosted: time zone " + name + ": " + err.Error())
		}
		out[region] = loc
	}
	return out
}()

// paidAt writes when a session was paid, in the time of the customer's
// region (UTC for a region without a zone), with the zone's abbreviation
// and its offset from UTC: "02/01/2006 à 15:04 GMT", "2 Jan 2006, 16:04 WAT (UTC+1)".
func paidAt(lang string, at time.Time, region string) string {
	loc, ok := zones[region]
	if !ok {
		loc = time.UTC
	}
	local := at.In(loc)
	layout := map[string]string{"fr": "02/01/2006 à 15:04", "en": "2 Jan 2006, 15:04"}[lang]
	return local.Format(layout) + " " + zoneLabel(local)
}

// zoneLabel names t's zone: its abbreviation, then its offset unless it is
// UTC+0; only the offset when the zone has no abbreviation ("+03").
func zoneLabel(t time.Time) string {
	name, offset := t.Zone()
	utc := "UTC"
	if offset != 0 {
		sign := "+"
		if offset < 0 {
			sign, offset = "-", -offset
		}
		utc += sign + fmt.Sprint(offset/3600)
		if m := offset % 3600 / 60; m != 0 {
			utc += fmt.Sprintf(":%02d", m)
		}
	}
	switch {
	case name == "" || !unicode.IsLetter(rune(name[0])):
		return utc
	case offset == 0:
		return name
	}
	return name + " (" + utc + ")"
}
