package aid

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/store"
)

// attachment takes an image or file the member sent 1:1 while a request of theirs is with
// them (a draft, or returned for more): its type and the request's count are checked at
// once; the material is noted, and fetched, checked for size and content, sealed and stored
// after the transaction commits (or by the job aid.jobs after a crash). The member is told
// what was kept.
func (h *Handlers) attachment(c *bot.Context) (*bot.Response, error) {
	att := c.Attachment
	if !h.keys.Enabled() {
		return bot.Warn(msgNoKey), nil
	}
	a, err := c.Tx.OpenAidDraftOrBehalf(c.Ctx, c.Sender.MemberID, isOfficer(c))
	if err != nil {
		return nil, err
	}
	if a == nil {
		return bot.Info("你现在没有需要上传材料的帮扶申请。申请帮扶请发送「申请帮扶」；其他事项请发送「菜单」。"), nil
	}
	ext := "jpg"
	if att.Type == "file" {
		ext = strings.ToLower(strings.TrimPrefix(path.Ext(att.Name), "."))
		if !slices.Contains(h.cfg.MaterialTypes, ext) {
			return bot.Warn(fmt.Sprintf("不支持该文件类型（.%s），未保存。材料请用照片或以下格式的文件：%s。",
				ext, strings.Join(h.cfg.MaterialTypes, "、"))), nil
		}
	}
	n, err := c.Tx.CountAidMaterials(c.Ctx, a.ID)
	if err != nil {
		return nil, err
	}
	if n >= h.cfg.MaterialsPerCase {
		return bot.Warn(fmt.Sprintf("每条申请最多 %d 份材料，已达上限，未保存。", h.cfg.MaterialsPerCase)), nil
	}
	m := &store.AidMaterial{CaseID: a.ID, MessageID: c.MessageID, FileKey: att.Key, ResType: att.Type, Ext: ext}
	added, err := c.Tx.AddAidMaterial(c.Ctx, m)
	if err != nil || !added {
		return nil, err
	}
	// The name is personal data too: sealed into its row.
	if err := c.Tx.SealInto(c.Ctx, h.keys, store.SealedAidMaterialName, m.ID, att.Name); err != nil {
		return nil, err
	}
	c.Tx.AfterCommit(func() { h.fetch.kick(c.Notifier()) })
	return bot.Info(fmt.Sprintf("收到材料，正在加密保存到申请 %d……保存好后会告诉你。", a.ID)), nil
}

// fetcher fetches pending materials, one run at a time per process; StoreAidMaterial's
// condition keeps replicas from storing one twice.
type fetcher struct {
	h       *Handlers
	mu      sync.Mutex
	running bool
	again   bool
	wg      sync.WaitGroup
}

// kick runs a fetch in the background (or another after the one running).
func (f *fetcher) kick(notify func()) {
	f.mu.Lock()
	if f.running {
		f.again = true
		f.mu.Unlock()
		return
	}
	f.running = true
	f.wg.Add(1)
	f.mu.Unlock()
	go func() {
		defer f.wg.Done()
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			if _, err := f.h.FetchPending(ctx, notify); err != nil {
				f.h.Log.Warn("aid: fetch materials", "err", err)
			}
			cancel()
			f.mu.Lock()
			if !f.again {
				f.running = false
				f.mu.Unlock()
				return
			}
			f.again = false
			f.mu.Unlock()
		}
	}()
}

// Wait waits for background fetches to finish (for tests and shutdown).
func (h *Handlers) Wait() { h.fetch.wg.Wait() }

// FetchPending fetches every pending material: it downloads it (message-resource API), checks
// its size and content, seals and stores it, or refuses it with the reason; the member is told
// either way. It returns how many it settled. A transient failure leaves the material pending
// for the next run.
func (h *Handlers) FetchPending(ctx context.Context, notify func()) (int, error) {
	if h.Resources == nil || !h.keys.Enabled() {
		return 0, nil
	}
	ms, err := h.DB.PendingAidMaterials(ctx, 50)
	if err != nil {
		return 0, err
	}
	done := 0
	for _, m := range ms {
		name, data, err := h.Resources.Fetch(ctx, m.MessageID, m.FileKey, m.ResType)
		why := ""
		switch {
		case errors.Is(err, bot.ErrResourceGone):
			why = "飞书无法取回该文件（可能已撤回或过大）"
		case err != nil:
			h.Log.Warn("aid: fetch material", "material", m.ID, "err", err)
			continue
		case int64(len(data)) > h.cfg.MaterialMaxBytes():
			why = fmt.Sprintf("文件过大（%s，上限 %d MB）", sizeText(int64(len(data))), h.cfg.MaterialMaxMB)
		case !contentMatches(m, data):
			why = "文件内容与类型不符或不是图片/文档"
		}
		if err := h.settle(ctx, m, name, data, why, notify); err != nil {
			return done, err
		}
		done++
	}
	return done, nil
}

// contentMatches checks a material's bytes against its type: images must be images, a PDF a
// PDF; office files are taken as they come.
func contentMatches(m *store.AidMaterial, data []byte) bool {
	if len(data) == 0 {
		return false
	}
	ct := http.DetectContentType(data)
	switch {
	case m.ResType == "image" || m.Ext == "jpg" || m.Ext == "jpeg" || m.Ext == "png":
		return strings.HasPrefix(ct, "image/")
	case m.Ext == "pdf":
		return bytes.HasPrefix(data, []byte("%PDF-"))
	}
	return true
}

// settle stores (why == "") or refuses a fetched material, and tells the member.
func (h *Handlers) settle(ctx context.Context, m *store.AidMaterial, name string, data []byte, why string, notify func()) error {
	return h.DB.InTx(ctx, func(tx *store.Tx) error {
		a, err := tx.AidCaseByID(ctx, m.CaseID)
		if err != nil {
			return err
		}
		var text string
		if why != "" {
			ok, err := tx.RefuseAidMaterial(ctx, m.ID, why)
			if err != nil || !ok {
				return err
			}
			text = fmt.Sprintf("材料未保存：%s。请重新发送符合要求的照片或文件（每个不超过 %d MB）。", why, h.cfg.MaterialMaxMB)
		} else {
			m.Size = int64(len(data))
			ok, err := tx.StoreAidMaterial(ctx, m)
			if err != nil || !ok {
				return err
			}
			if err := tx.SealInto(ctx, h.keys, store.SealedAidMaterialData, m.ID, string(data)); err != nil {
				return err
			}
			if m.Name == "" && name != "" {
				if err := tx.SealInto(ctx, h.keys, store.SealedAidMaterialName, m.ID, name); err != nil {
					return err
				}
			}
			n, err := tx.CountAidMaterials(ctx, m.CaseID)
			if err != nil {
				return err
			}
			text = fmt.Sprintf("已加密保存材料（%s），申请 %d 现有 %d 份材料。全部发送后请在申请卡片上点「提交申请」。", sizeText(m.Size), a.ID, n)
		}
		// The applicant is told, and the officer who opened it on their behalf.
		to := []string{a.MemberOpenID}
		if a.OpenedBy != 0 && a.OpenedBy != a.MemberID && !a.Emergency {
			o, err := tx.MemberByID(ctx, a.OpenedBy)
			if err != nil {
				return err
			}
			to = append(to, o.OpenID)
		}
		for _, id := range to {
			if id == "" {
				continue
			}
			if _, err := tx.Enqueue(ctx, &store.OutboxMessage{Kind: store.OutboxSend, ReceiveIDType: "open_id", ReceiveID: id,
				MsgType: bot.Text(text).MsgType, Content: bot.Text(text).JSON}); err != nil {
				return err
			}
			if notify != nil {
				tx.AfterCommit(notify)
			}
		}
		return nil
	})
}
