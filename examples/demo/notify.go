package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/wxgo/offiaccount"
	"github.com/wxgo/offiaccount/offiaccounttest"
)

// eventLog is what the bot saw of the platform's pushes, as the SDK parsed them.
type eventLog struct {
	mu   sync.Mutex
	seen map[offiaccount.EventType][]*offiaccount.Message
}

func (l *eventLog) handle(_ context.Context, m *offiaccount.Message) (offiaccount.Reply, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seen[m.Event] = append(l.seen[m.Event], m)
	return nil, nil
}

func (l *eventLog) count(e offiaccount.EventType) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.seen[e])
}

// last returns the last event e the bot got, or nil.
func (l *eventLog) last(e offiaccount.EventType) *offiaccount.Message {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s := l.seen[e]; len(s) > 0 {
		return s[len(s)-1]
	}
	return nil
}

// notifySteps: a subscribe notification from the public library to a user who accepts it,
// and a mass send to a tag, with the events WeChat pushes back reaching the bot.
func notifySteps(ctx context.Context, client *offiaccount.Client, p *offiaccounttest.Platform, bot *offiaccount.Handler, botURL string) error {
	section("subscribe notifications (订阅通知) and mass send (群发)")
	log := &eventLog{seen: make(map[offiaccount.EventType][]*offiaccount.Message)}
	for _, e := range []offiaccount.EventType{offiaccount.EventSubscribeMsgPopup, offiaccount.EventSubscribeMsgSent, offiaccount.EventMassSendDone} {
		bot.HandleEvent(e, log.handle)
	}
	p.SetEventSender(&offiaccounttest.Sender{Target: botURL, Token: token, Mode: offiaccounttest.ModeSafe,
		AppID: appID, EncodingAESKey: encodingAESKey, Account: accountID})
	p.AddUser(appID, offiaccounttest.UserRecord{OpenID: userOpenID})

	// Pick a library title and its first keywords, and fill them with WeChat's examples.
	cats, err := client.ListSubscribeCategories(ctx)
	if err != nil {
		return err
	}
	if len(cats) == 0 {
		return errors.New("getcategory: no categories")
	}
	titles, err := client.ListSubscribeTemplateTitles(ctx, []int{cats[0].ID}, 0, 30)
	if err != nil {
		return err
	}
	if len(titles.Titles) == 0 {
		return fmt.Errorf("getpubtemplatetitles: no titles in %q", cats[0].Name)
	}
	title := titles.Titles[0]
	kws, err := client.ListSubscribeTemplateKeywords(ctx, title.TID)
	if err != nil {
		return err
	}
	if len(kws) < 3 {
		return fmt.Errorf("getpubtemplatekeywords: %d keywords for tid %d", len(kws), title.TID)
	}
	kws = kws[:3]
	kids := make([]int, len(kws))
	values := make(map[string]string, len(kws))
	for i, k := range kws {
		kids[i] = k.KID
		values[fmt.Sprint(k.Rule, k.KID)] = k.Example
	}
	tmpl, err := client.AddSubscribeTemplate(ctx, title.TID, kids, "发货后通知买家")
	if err != nil {
		return err
	}
	ok("add template", fmt.Sprintf("%q (tid %d) from %q with keywords %v → %s…", title.Title, title.TID, cats[0].Name, kids, tmpl[:8]))

	notice := offiaccount.SubscribeMessage{ToUser: userOpenID, TemplateID: tmpl,
		Page: "https://demo.example.com/orders/42", Data: offiaccount.SubscribeValues(values)}
	bad := notice
	bad.Data = offiaccount.SubscribeValues(map[string]string{"thing1": strings.Repeat("很长的商品名称", 4)})
	_, err = client.SendSubscribeMessage(ctx, bad)
	if !errors.Is(err, offiaccount.ErrInvalidRequest) {
		return fmt.Errorf("a 28-character thing value was not caught locally: %v", err)
	}
	ok("validation", "refused before any request: "+err.Error())
	if _, err := client.SendSubscribeMessage(ctx, notice); !errors.Is(err, offiaccount.ErrUserRefused) {
		return fmt.Errorf("a send before the user accepted: %v, want 43101", err)
	}
	ok("not accepted", "bizsend before the user accepted: 43101, errors.Is(err, ErrUserRefused)")

	if err := p.AcceptSubscription(appID, userOpenID, tmpl); err != nil {
		return err
	}
	popup := log.last(offiaccount.EventSubscribeMsgPopup)
	if log.count(offiaccount.EventSubscribeMsgPopup) != 1 || len(popup.SubscribeMsgList) != 1 ||
		popup.SubscribeMsgList[0].TemplateID != tmpl || popup.SubscribeMsgList[0].SubscribeStatusString != offiaccount.SubscribeStatusAccept {
		return fmt.Errorf("the popup event did not reach the bot (%d seen): %+v", log.count(offiaccount.EventSubscribeMsgPopup), eventItems(popup))
	}
	ok("user accepts", "subscribe_msg_popup_event (accept) pushed to the bot, sealed in safe mode")

	msgID, err := client.SendSubscribeMessage(ctx, notice)
	if err != nil {
		return err
	}
	ok("bizsend", fmt.Sprintf("notice sent, msgid %d, data %v", msgID, values))
	p.Advance(offiaccounttest.SubscribeSentDelay)
	sent := log.last(offiaccount.EventSubscribeMsgSent)
	if log.count(offiaccount.EventSubscribeMsgSent) != 1 || len(sent.SubscribeMsgList) != 1 ||
		sent.SubscribeMsgList[0].MsgID != msgID || sent.SubscribeMsgList[0].ErrorStatus != "success" {
		return fmt.Errorf("the sent event did not reach the bot (%d seen): %+v", log.count(offiaccount.EventSubscribeMsgSent), eventItems(sent))
	}
	ok("sent event", "subscribe_msg_sent_event with the same MsgID and ErrorStatus success")
	if _, err := client.SendSubscribeMessage(ctx, notice); !errors.Is(err, offiaccount.ErrUserRefused) {
		return fmt.Errorf("a second send on a one-time acceptance: %v, want 43101", err)
	}
	ok("one-time", "a second notice on the same acceptance: 43101 again")

	return massSteps(ctx, client, p, log)
}

func massSteps(ctx context.Context, client *offiaccount.Client, p *offiaccounttest.Platform, log *eventLog) error {
	tag, err := client.CreateTag(ctx, "demo-buyers")
	if err != nil {
		return err
	}
	if err := client.TagUsers(ctx, tag.ID, []string{userOpenID}); err != nil {
		return err
	}
	msg := offiaccount.MassText("双十二预告：12 月 12 日零点开抢")
	if _, err := client.PreviewMass(ctx, userOpenID, msg); err != nil {
		return err
	}
	ok("mass preview", "the text previewed to one follower first (100 previews a day)")
	msg.ClientMsgID = "demo-promo-1212"
	job, err := client.SendMassToTag(ctx, tag.ID, msg)
	if err != nil {
		return err
	}
	p.Advance(offiaccounttest.MassJobDuration)
	finish := log.last(offiaccount.EventMassSendDone)
	if log.count(offiaccount.EventMassSendDone) != 1 || finish.MsgID != job.MsgID || finish.Status != "send success" {
		return fmt.Errorf("MASSSENDJOBFINISH for msg_id %d did not reach the bot (%d seen)", job.MsgID, log.count(offiaccount.EventMassSendDone))
	}
	ok("mass to tag", fmt.Sprintf("msg_id %d to tag %q; MASSSENDJOBFINISH \"send success\" reached the bot", job.MsgID, tag.Name))
	_, err = client.SendMassToTag(ctx, tag.ID, msg)
	var dup *offiaccount.MassDuplicateError
	if !errors.As(err, &dup) || dup.MsgID != job.MsgID {
		return fmt.Errorf("a repeat of clientmsgid %q: %v, want 45065 naming msg_id %d", msg.ClientMsgID, err, job.MsgID)
	}
	ok("clientmsgid", fmt.Sprintf("the same send again: 45065, not resent; the error names msg_id %d", dup.MsgID))
	return nil
}

// eventItems is the List items of a subscribe-notification event the bot got, for an error.
func eventItems(m *offiaccount.Message) []offiaccount.SubscribeMsgItem {
	if m == nil {
		return nil
	}
	return m.SubscribeMsgList
}
