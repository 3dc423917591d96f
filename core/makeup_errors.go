package core

import "fmt"

// The request engine serves make-ups, field punches, leave, trips,
// outings and overtime alike, so its errors name the kind of request they
// are about ("leave request 50 is already rejected"), or say "request"
// when the kind is not known yet. The console, the admin API and the logs
// show these messages; the bots render outcomes in the user's language
// (bots.MakeupLine) and these only in bots.ErrorText.

// requestNoun is how an error message names a request of type t.
func requestNoun(t RequestType) string {
	switch t {
	case RequestField:
		return "field punch request"
	case RequestLeave:
		return "leave request"
	case RequestTrip:
		return "business trip request"
	case RequestOuting:
		return "outing request"
	case RequestOvertime:
		return "overtime request"
	}
	return "make-up request"
}

// requestLabel is "leave request 50".
func requestLabel(m MakeupRequest) string {
	return fmt.Sprintf("%s %d", requestNoun(m.TypeOf()), m.ID)
}

// alreadyClosed is the conflict of changing request m, which is no longer
// pending.
func alreadyClosed(m MakeupRequest) error {
	return Errorf(ECONFLICT, "%s is already %s", requestLabel(m), m.Status)
}
