package emulator

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	"gopkg.in/yaml.v3"

	"github.com/unionbot/unionbot/handlers/proposals"
	"github.com/unionbot/unionbot/jobs/workday"
	"github.com/unionbot/unionbot/store"
)

// demoProposal is a proposal of demo/proposals.yaml and the step it is walked to.
type demoProposal struct {
	Title       string            `yaml:"title"`
	Proposer    string            `yaml:"proposer"`
	Category    string            `yaml:"category"`
	Reason      string            `yaml:"reason"`
	Suggestion  string            `yaml:"suggestion"`
	Departments string            `yaml:"departments"`
	Cosigners   map[string]string `yaml:"cosigners"` // 工号 → invited, agreed, declined
	Until       string            `yaml:"until"`
	Key         bool              `yaml:"key"`
	Host        string            `yaml:"host"`
	Helpers     []string          `yaml:"helpers"`
	Opinion     string            `yaml:"opinion"` // from the first helper's first contact
	ReplyClass  string            `yaml:"reply_class"`
	Reply       string            `yaml:"reply"`
	Rating      string            `yaml:"rating"`
	Comment     string            `yaml:"comment"`
}

// demoSteps are the steps a demo proposal can be walked to, in their order.
var demoSteps = []string{"draft", "cosigning", "submitted", "registered", "assigned", "replied", "closed"}

// importProposals creates the demo's congress session (as `proposals sessions create` does)
// and walks each demo proposal through the store's state machine up to its step.
func (e *Emulator) importProposals(ctx context.Context) error {
	m := e.main
	db, loc := m.DB, m.Config.Location()
	s, err := proposals.CreateSessionFromYAML(ctx, db, bytes.NewReader(DemoFile("proposal-session.yaml")), loc, demoActor)
	if err != nil {
		return fmt.Errorf("proposal-session.yaml: %w", err)
	}
	var spec struct {
		Proposals []demoProposal `yaml:"proposals"`
	}
	if err := yaml.Unmarshal(DemoFile("proposals.yaml"), &spec); err != nil {
		return fmt.Errorf("proposals.yaml: %w", err)
	}
	cal := workday.New(loc, db)
	if err := cal.Reload(ctx); err != nil {
		return err
	}
	return db.InTx(ctx, func(tx *store.Tx) error {
		for _, d := range spec.Proposals {
			if err := walkDemoProposal(ctx, tx, s, cal, d); err != nil {
				return fmt.Errorf("proposals.yaml: %s: %w", d.Title, err)
			}
		}
		return nil
	})
}

func walkDemoProposal(ctx context.Context, tx *store.Tx, s *store.ProposalSession, cal *workday.Calendar, d demoProposal) error {
	until := slices.Index(demoSteps, d.Until)
	if until < 0 {
		return fmt.Errorf("unknown step %q", d.Until)
	}
	member := func(no string) (*store.Member, error) { return tx.MemberByEmployeeNo(ctx, no) }
	proposer, err := member(d.Proposer)
	if err != nil {
		return err
	}
	p := &store.Proposal{SessionID: s.ID, ProposerID: proposer.ID, Title: d.Title, Category: d.Category, Reason: d.Reason,
		Suggestion: d.Suggestion, SuggestedDepartments: d.Departments}
	if err := store.ValidateProposal(p, s); err != nil {
		return err
	}
	actor := proposer.OpenID
	if err := tx.CreateProposal(ctx, p, actor); err != nil {
		return err
	}
	step := func(name string, set map[string]any, by string) error {
		q, err := tx.ProposalByID(ctx, p.ID)
		if err != nil {
			return err
		}
		*p = *q
		return tx.StepProposal(ctx, p, name, by, store.ProposalChange{Set: set})
	}
	if until < 1 {
		return nil
	}
	if err := step(store.StepInvite, nil, actor); err != nil {
		return err
	}
	nos := make([]string, 0, len(d.Cosigners))
	for no := range d.Cosigners {
		nos = append(nos, no)
	}
	slices.Sort(nos)
	for _, no := range nos {
		c, err := member(no)
		if err != nil {
			return err
		}
		if _, err := tx.InviteCosigner(ctx, p.ID, c.ID, store.CosignInvited, actor); err != nil {
			return err
		}
		if st := d.Cosigners[no]; st != store.CosignInvited {
			if _, err := tx.AnswerCosign(ctx, p.ID, c.ID, store.CosignInvited, st, c.OpenID); err != nil {
				return err
			}
		}
	}
	if until < 2 {
		return nil
	}
	if err := step(store.StepSubmit, map[string]any{"submitted_at": tx.Now()}, actor); err != nil {
		return err
	}
	if until < 3 {
		return nil
	}
	const committee = "emulator:demo-committee"
	seq, number, err := tx.NextProposalNumber(ctx, s)
	if err != nil {
		return err
	}
	if err := step(store.StepRegister, map[string]any{"seq": seq, "number": number, "decision": store.StepRegister}, committee); err != nil {
		return err
	}
	if d.Key {
		if err := tx.MarkProposal(ctx, p, "key_proposal", true, committee); err != nil {
			return err
		}
	}
	if until < 4 {
		return nil
	}
	host, err := tx.DepartmentByName(ctx, d.Host)
	if err != nil {
		return err
	}
	var helpers []int64
	var firstHelper *store.Department
	for _, n := range d.Helpers {
		h, err := tx.DepartmentByName(ctx, n)
		if err != nil {
			return err
		}
		if firstHelper == nil {
			firstHelper = h
		}
		helpers = append(helpers, h.ID)
	}
	due := cal.AddWorkdays(tx.Now().In(cal.Loc()), s.ReplyWorkdays).Format("2006-01-02")
	if err := step(store.StepAssign, map[string]any{"assigned_at": tx.Now(), "reply_due": due}, committee); err != nil {
		return err
	}
	if err := tx.SetProposalDepartments(ctx, p.ID, host.ID, helpers); err != nil {
		return err
	}
	if d.Opinion != "" && firstHelper != nil && len(firstHelper.Contacts) > 0 {
		k := firstHelper.Contacts[0]
		if err := tx.SaveProposalOpinion(ctx, p, firstHelper.ID, k.ID, d.Opinion, k.OpenID); err != nil {
			return err
		}
	}
	if until < 5 {
		return nil
	}
	by := committee
	if len(host.Contacts) > 0 {
		by = host.Contacts[0].OpenID
	}
	if err := step(store.StepReply, map[string]any{"reply_class": d.ReplyClass, "reply_text": d.Reply, "replied_at": tx.Now(),
		"reply_submitted_at": tx.Now()}, by); err != nil {
		return err
	}
	if until < 6 {
		return nil
	}
	if err := tx.RateProposal(ctx, &store.ProposalRating{ProposalID: p.ID, Round: 1, MemberID: proposer.ID, Rating: d.Rating,
		Comment: d.Comment}, actor); err != nil {
		return err
	}
	return step(store.StepRate, map[string]any{"closed_at": tx.Now()}, actor)
}
