package offiaccount

// Events of the customer-service system (客服会话状态通知): WeChat pushes them when a session
// between a user and a customer-service account starts, ends or moves to other staff.
//
// https://developers.weixin.qq.com/doc/service/guide/product/message/Receiving_event_pushes.html
const (
	EventKFCreateSession EventType = "kf_create_session" // staff took a session; KFAccount names them
	EventKFCloseSession  EventType = "kf_close_session"  // a session ended; KFAccount names the staff
	EventKFSwitchSession EventType = "kf_switch_session" // a session moved from FromKFAccount to ToKFAccount
)

// KFAccount returns the customer-service account (KfAccount) of a kf_create_session or
// kf_close_session event, "" for other messages.
func (m *Message) KFAccount() string {
	v, _ := m.Field("KfAccount")
	return v
}

// FromKFAccount returns the account a kf_switch_session event moved the session away from
// (FromKfAccount), "" for other messages.
func (m *Message) FromKFAccount() string {
	v, _ := m.Field("FromKfAccount")
	return v
}

// ToKFAccount returns the account a kf_switch_session event moved the session to
// (ToKfAccount), "" for other messages.
func (m *Message) ToKFAccount() string {
	v, _ := m.Field("ToKfAccount")
	return v
}
