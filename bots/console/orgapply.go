package console

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/punchbot/punchbot/bots/admin"
	"github.com/punchbot/punchbot/core"
)

// Applying an org file from the console: HR uploads (or pastes) a file,
// sees what it would change, then applies it. The file wins for everything
// it names; what it leaves out stays (ApplyOrg never deletes), so a person
// added in the console survives an older file that does not list them.
// The confirmation carries a fingerprint of the organisation the diff was
// made against: if it changed meanwhile, the diff is shown again.

type applyData struct {
	File     string
	Problems []string
	Changes  []string
	Base     string // fingerprint of the organisation the diff was made against
	Reviewed bool
}

func (c *Console) orgChecks() []func(core.Org) []core.FieldError {
	if c.checkOrg == nil {
		return nil
	}
	return []func(core.Org) []core.FieldError{c.checkOrg}
}

// fingerprint identifies the organisation as read.
func fingerprint(cur core.Org) (string, error) {
	data, err := admin.MarshalOrg(cur)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

func (c *Console) applyPage(w http.ResponseWriter, r *http.Request, v *viewer, d applyData, status int) {
	c.render(w, r, status, "orgapply", &page{Lang: v.Lang, Title: tr(v.Lang, "org_apply"), Nav: "org", Sub: "apply", V: v, Data: d})
}

func (c *Console) orgApplyForm(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if !c.requireHR(w, r, v) {
		return nil
	}
	c.applyPage(w, r, v, applyData{}, http.StatusOK)
	return nil
}

// readFile takes the uploaded file, or the pasted text.
func readFile(w http.ResponseWriter, r *http.Request) (string, error) {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		r.Body = http.MaxBytesReader(w, r.Body, admin.MaxBodyBytes+64<<10)
		if err := r.ParseMultipartForm(admin.MaxBodyBytes); err != nil {
			return "", core.Errorf(core.EINVALID, "the form could not be read (a file larger than %d bytes?)", admin.MaxBodyBytes)
		}
		if f, _, err := r.FormFile("file"); err == nil {
			defer f.Close()
			data, err := io.ReadAll(io.LimitReader(f, admin.MaxBodyBytes))
			if err != nil {
				return "", core.Errorf(core.EINVALID, "the file could not be read")
			}
			return string(data), nil
		}
	}
	return r.PostFormValue("text"), nil
}

// orgApplyReview validates the file and shows its changes; with confirm
// set and the organisation unchanged since the review, it applies it.
//
// The diff, the fingerprint and the apply all come from one reading of the
// organisation, and the apply names its version: if anyone changed the
// organisation after the review, or between this reading and the apply
// (a console edit, an apply on another replica), nothing is applied and
// the diff is shown again over the organisation as it now is, so what HR
// confirmed is exactly what goes in and nobody's change is undone.
func (c *Console) orgApplyReview(w http.ResponseWriter, r *http.Request, v *viewer) error {
	text, err := readFile(w, r)
	if err != nil {
		return err
	}
	if !c.requireHR(w, r, v) {
		return nil
	}
	d, org, status, err := c.review(r, v, text)
	if err != nil || status != http.StatusOK {
		if err == nil {
			c.applyPage(w, r, v, d, status)
		}
		return err
	}
	if r.PostFormValue("confirm") == "" || r.PostFormValue("base") != d.Base {
		// First the diff; or again, when someone changed the organisation
		// after this diff was made.
		if r.PostFormValue("confirm") != "" {
			d.Problems, status = []string{tr(v.Lang, "org_changed_meanwhile")}, http.StatusConflict
		}
		c.applyPage(w, r, v, d, status)
		return nil
	}
	sum := sha256.Sum256([]byte(text))
	detail, _ := json.Marshal(map[string]any{"name": org.Name, "sha256": hex.EncodeToString(sum[:]), "bytes": len(text), "changes": d.Changes, "source": "console"})
	_, err = c.store.ApplyOrg(r.Context(), org, core.AuditEntry{At: c.now(), Actor: v.Actor(), Action: "org.applied", Subject: org.Name, Detail: string(detail)})
	switch {
	case errors.Is(err, core.ErrOrgChanged):
		// Changed between the reading above and the apply: the diff
		// again, over the organisation as it now is.
		if d, _, status, err = c.review(r, v, text); err != nil {
			return err
		}
		if status == http.StatusOK {
			d.Problems, status = []string{tr(v.Lang, "org_changed_meanwhile")}, http.StatusConflict
		}
		c.applyPage(w, r, v, d, status)
		return nil
	case core.ErrorCode(err) == core.ECONFLICT:
		d.Problems = []string{translateProblem(core.ErrorMessage(err), v.Lang)}
		c.applyPage(w, r, v, d, http.StatusConflict)
		return nil
	case err != nil:
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/org/people?done=saved&id=%s&n=%d", "org.yaml", len(d.Changes)), http.StatusSeeOther)
	return nil
}

// review reads the organisation once and returns the file's changes over
// it, its fingerprint and the file parsed over it, or the page of the
// file's problems (422).
func (c *Console) review(r *http.Request, v *viewer, text string) (applyData, core.Org, int, error) {
	d := applyData{File: text}
	cur, err := admin.CurrentOrg(r.Context(), c.store) // with its device policy
	if err != nil {
		return d, core.Org{}, 0, err
	}
	changes, org, err := admin.OrgChangesOver(cur, []byte(text), c.orgChecks()...)
	var fe *admin.FileError
	if errors.As(err, &fe) {
		for _, p := range fe.Problems {
			line := translateProblem(p.Message, v.Lang)
			if p.Field != "" {
				line = p.Field + ": " + line
			}
			if p.Line > 0 {
				line = fmt.Sprintf(tr(v.Lang, "org_line"), p.Line) + line
			}
			d.Problems = append(d.Problems, line)
		}
		return d, core.Org{}, http.StatusUnprocessableEntity, nil
	}
	if err != nil {
		return d, core.Org{}, 0, err
	}
	d.Changes, d.Reviewed = changes, true
	if d.Base, err = fingerprint(cur); err != nil {
		return d, core.Org{}, 0, err
	}
	return d, org, http.StatusOK, nil
}
