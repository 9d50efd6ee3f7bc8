package offiaccount

// Events of the customer-service system (客服会话状态通知): WeChat pushes them when a session
// between a user and a customer-service account starts, ends or moves to other staff.
//
// https://developers.weixin.qq.com/doc/service/guide/product/message/Receiving_event_pushes.html
//
// Their staff arrive in Message.KFAccount, FromKFAccount and ToKFAccount.
const (
	EventKFCreateSession EventType = "kf_create_session" // staff took a session; KFAccount names them
	EventKFCloseSession  EventType = "kf_close_session"  // a session ended; KFAccount names the staff
	EventKFSwitchSession EventType = "kf_switch_session" // a session moved from FromKFAccount to ToKFAccount
)
