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

// fingerprint identifies the organisation as applied.
func (c *Console) fingerprint(r *http.Request) (string, error) {
	org, err := c.store.Org(r.Context())
	if err != nil {
		return "", err
	}
	data, err := admin.MarshalOrg(org)
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
func (c *Console) orgApplyReview(w http.ResponseWriter, r *http.Request, v *viewer) error {
	text, err := readFile(w, r)
	if err != nil {
		return err
	}
	if !c.requireHR(w, r, v) {
		return nil
	}
	d := applyData{File: text}
	changes, err := admin.OrgChanges(r.Context(), c.store, []byte(text), c.orgChecks()...)
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
		c.applyPage(w, r, v, d, http.StatusUnprocessableEntity)
		return nil
	}
	if err != nil {
		return err
	}
	d.Changes, d.Reviewed = changes, true
	if d.Base, err = c.fingerprint(r); err != nil {
		return err
	}
	if r.PostFormValue("confirm") == "" || r.PostFormValue("base") != d.Base {
		// First the diff; or again, when someone changed the organisation
		// after this diff was made.
		status := http.StatusOK
		if r.PostFormValue("confirm") != "" {
			d.Problems = []string{tr(v.Lang, "org_changed_meanwhile")}
			status = http.StatusConflict
		}
		c.applyPage(w, r, v, d, status)
		return nil
	}
	// What the file leaves out of the organisation's settings keeps its
	// stored value, as the diff above showed (admin.OrgChanges).
	cur, err := admin.CurrentOrg(r.Context(), c.store)
	if err != nil {
		return err
	}
	org, err := admin.ParseOrgOver([]byte(text), cur, c.orgChecks()...)
	if err != nil {
		return err
	}
	sum := sha256.Sum256([]byte(text))
	detail, _ := json.Marshal(map[string]any{"name": org.Name, "sha256": hex.EncodeToString(sum[:]), "bytes": len(text), "changes": changes, "source": "console"})
	if _, err := c.store.ApplyOrg(r.Context(), org, core.AuditEntry{At: c.now(), Actor: v.Actor(), Action: "org.applied", Subject: org.Name, Detail: string(detail)}); err != nil {
		if core.ErrorCode(err) == core.ECONFLICT {
			d.Problems = []string{translateProblem(core.ErrorMessage(err), v.Lang)}
			c.applyPage(w, r, v, d, http.StatusConflict)
			return nil
		}
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/org/people?done=saved&id=%s&n=%d", "org.yaml", len(changes)), http.StatusSeeOther)
	return nil
}
