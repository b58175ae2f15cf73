package proposals

import (
	"fmt"
	"time"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/bot/card"
	"github.com/unionbot/unionbot/bot/livecard"
	"github.com/unionbot/unionbot/store"
)

// liveKind names the proposals' live cards (store.LiveCard.Kind).
const liveKind = "proposal"

// public reports whether every member may see p: registered (it has a 立案编号) in a session
// that makes proposals public.
func public(p *store.Proposal, s *store.ProposalSession) bool {
	return s.PublicAfterRegister && p.Number != ""
}

// PublicCard is a proposal as a group chat sees it: no buttons, no phone, the proposals
// merged into it.
func PublicCard(p *store.Proposal, s *store.ProposalSession, merged []*store.Proposal, loc *time.Location) *card.Card {
	return ProposalCard(p, s, merged, Viewer{Loc: loc})
}

// postLive posts p's public card to the event's group chat as a live card: it is kept current
// there through every later step (showLive).
func (h *Handlers) postLive(c *bot.Context, p *store.Proposal, s *store.ProposalSession) (*bot.Response, error) {
	merged, err := c.Tx.ProposalsMergedInto(c.Ctx, p.ID)
	if err != nil {
		return nil, err
	}
	if err := c.Tx.ProposalTrail(c.Ctx, p); err != nil {
		return nil, err
	}
	if err := c.Tx.ProposalHandling(c.Ctx, p); err != nil {
		return nil, err
	}
	if err := c.Tx.ProposalOpinions(c.Ctx, p); err != nil {
		return nil, err
	}
	posted, err := livecard.Post(c.Ctx, c.Tx, liveKind, p.ID, c.ChatID, PublicCard(p, s, merged, h.Loc))
	if err != nil {
		return nil, err
	}
	if !posted {
		return bot.Info(fmt.Sprintf("提案 %s 的卡片已在本群，且保持最新。", p.Number)), nil
	}
	return bot.Info(fmt.Sprintf("已在本群发出提案 %s 的卡片，办理进展会自动更新。", p.Number)), nil
}

// showLive brings p's cards in group chats up to date, in the transaction that changed it.
func (h *Handlers) showLive(c *bot.Context, id int64) error {
	p, err := c.Tx.ProposalByID(c.Ctx, id)
	if err != nil {
		return err
	}
	s, err := c.Tx.ProposalSessionByID(c.Ctx, p.SessionID)
	if err != nil {
		return err
	}
	merged, err := c.Tx.ProposalsMergedInto(c.Ctx, p.ID)
	if err != nil {
		return err
	}
	if err := c.Tx.ProposalTrail(c.Ctx, p); err != nil {
		return err
	}
	if err := c.Tx.ProposalHandling(c.Ctx, p); err != nil {
		return err
	}
	if err := c.Tx.ProposalOpinions(c.Ctx, p); err != nil {
		return err
	}
	_, err = livecard.Show(c.Ctx, c.Tx, liveKind, p.ID, PublicCard(p, s, merged, h.Loc))
	return err
}
