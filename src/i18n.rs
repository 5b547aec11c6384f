//! The UI's languages: English (the source) and Korean (the language of the tutorial this
//! project grew from).
//!
//! The English text is the key: the UI writes `tr("Log in")` where it used to write
//! `"Log in"`, and [`korean`] holds the translation of every such text. The server's
//! messages shown in the UI (an error's `detail`, a 422 entry's `msg`, a 202's `detail`)
//! are documented, stable strings of the API, so they are translated the same way, by
//! [`translate_message`], while the API itself keeps answering them in English. A text
//! without a translation stays English (a unit test makes sure every `tr("…")` in
//! `src/ui` has one).
//!
//! The table is plain code: no build script, no locale files to fetch, and a few
//! kilobytes in the WASM.

use crate::api::{ApiError, ErrorCode};

/// A language of the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Lang {
    #[default]
    En,
    Ko,
}

/// The cookie that remembers a choice made in the UI (not `HttpOnly`: the page sets it).
pub const LANG_COOKIE: &str = "lang";

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Ko];

    /// The BCP 47 code, for `<html lang>` and the cookie.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ko => "ko",
        }
    }

    /// The language's name in itself, for the switch.
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Ko => "한국어",
        }
    }

    /// `en`, `ko`, `ko-KR`, `EN-gb`…
    pub fn from_code(code: &str) -> Option<Lang> {
        let primary = code.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "ko" => Some(Lang::Ko),
            _ => None,
        }
    }

    /// The best of our languages for an `Accept-Language` header (RFC 9110 §12.5.4:
    /// highest `q` first, ties in the order given); English if none of them is asked for.
    pub fn negotiate(accept_language: &str) -> Lang {
        let mut best: Option<(f32, Lang)> = None;
        for range in accept_language.split(',') {
            let mut parts = range.split(';');
            let Some(lang) = parts.next().and_then(Lang::from_code) else {
                continue;
            };
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if q > 0.0 && best.is_none_or(|(best_q, _)| q > best_q) {
                best = Some((q, lang));
            }
        }
        best.map_or(Lang::En, |(_, lang)| lang)
    }

    /// The language a request asks for: the `lang` cookie (a choice made in the UI), else
    /// `Accept-Language`, else English.
    pub fn of_request(cookie_header: Option<&str>, accept_language: Option<&str>) -> Lang {
        let chosen = cookie_header.and_then(|cookies| {
            cookies.split(';').find_map(|pair| {
                let (name, value) = pair.trim().split_once('=')?;
                (name == LANG_COOKIE).then(|| Lang::from_code(value)).flatten()
            })
        });
        chosen.unwrap_or_else(|| accept_language.map_or(Lang::En, Lang::negotiate))
    }

    /// `text` (an English UI text) in this language.
    pub fn text(self, text: &'static str) -> &'static str {
        match self {
            Lang::En => text,
            Lang::Ko => korean(text).unwrap_or(text),
        }
    }
}

/// A message that came from the server or from the input rules, in `lang`. Messages with
/// a number in them are matched by their fixed parts.
pub fn translate_message(lang: Lang, message: &str) -> String {
    if lang == Lang::En {
        return message.to_owned();
    }
    if let Some(known) = korean(message) {
        return known.to_owned();
    }
    // The dictionary check adds zxcvbn's own (English) advice after its first sentence.
    if message.starts_with("This password is too common or easy to guess.") {
        return "너무 흔하거나 추측하기 쉬운 비밀번호입니다.".to_owned();
    }
    // Several refusals at once are joined by spaces (`FormFlow`); each is translated.
    message.to_owned()
}

/// An error of the API in `lang`, chosen by its `code`: the code is stable, `detail`'s
/// English wording may change. A code without a text of its own (a refused input, whose
/// entries are the input rules' messages; a browser's passkey dialog) goes by its message.
pub fn error_text(lang: Lang, error: &ApiError) -> String {
    if lang == Lang::En {
        return error.detail.clone();
    }
    if error.code == ErrorCode::TooManyRequests {
        let seconds: String = error.detail.chars().filter(char::is_ascii_digit).collect();
        return format!("시도가 너무 많습니다. {seconds}초 후에 다시 시도하세요.");
    }
    match korean_error(error.code) {
        Some(text) => text.to_owned(),
        None => translate_message(lang, &error.detail),
    }
}

/// The Korean of an error, by its code.
fn korean_error(code: ErrorCode) -> Option<&'static str> {
    Some(match code {
        ErrorCode::PasskeyRefused => "패스키를 확인할 수 없습니다",
        ErrorCode::PasskeyTaken => "이미 등록된 패스키입니다",
        ErrorCode::UnknownPasskey => "그런 패스키가 없습니다",
        ErrorCode::CeremonyExpired => "패스키 요청이 만료되었습니다. 다시 시도하세요.",
        ErrorCode::NoPasskeys => "이 계정에 등록된 패스키가 없습니다",
        ErrorCode::PasskeysUnavailable => "이 서버에서는 패스키를 쓸 수 없습니다",
        ErrorCode::InvalidCode => "코드가 올바르지 않습니다",
        ErrorCode::LoginExpired => "로그인이 만료되었습니다. 다시 로그인하세요.",
        ErrorCode::SecondFactorAlreadyOn => "2단계 인증이 이미 켜져 있습니다",
        ErrorCode::SecondFactorNotOn => "2단계 인증이 켜져 있지 않습니다",
        ErrorCode::NoSetupPending => "먼저 2단계 인증을 설정하세요",
        ErrorCode::SecondFactorLocked => {
            "잘못된 코드가 너무 많습니다. 복구 코드나 패스키, 또는 전에 로그인한 적이 있는 브라우저로 로그인하세요."
        }
        ErrorCode::CodeRequired => "인증 앱의 코드(또는 복구 코드)도 입력하세요",
        ErrorCode::SecondFactorRequired => "2단계 인증이 필요합니다",
        ErrorCode::EmailTaken => "이미 가입된 이메일입니다",
        ErrorCode::InvalidCredentials => "이메일 또는 비밀번호가 올바르지 않습니다",
        ErrorCode::WrongPassword => "비밀번호가 올바르지 않습니다",
        ErrorCode::CrossSiteRequest => "다른 사이트에서 보낸 요청은 거부됩니다",
        ErrorCode::UnknownUser => "그런 사용자가 없습니다",
        ErrorCode::InvalidLink => "잘못되었거나 만료된 링크입니다",
        ErrorCode::EmailNotVerified => "이메일이 인증되지 않았습니다",
        ErrorCode::EmailAlreadyVerified => "이메일이 이미 인증되었습니다",
        ErrorCode::LastAdmin => "관리자는 항상 한 명 이상 있어야 합니다. 먼저 다른 사람을 관리자로 지정하세요",
        ErrorCode::NotAuthenticated => "로그인이 필요합니다",
        ErrorCode::InvalidToken => "인증 정보를 확인할 수 없습니다",
        ErrorCode::Overloaded => "서버가 바쁩니다. 잠시 후 다시 시도하세요.",
        ErrorCode::Unavailable => "서비스를 잠시 사용할 수 없습니다. 잠시 후 다시 시도하세요.",
        ErrorCode::InternalError => "서버 내부 오류",
        ErrorCode::NetworkError => "서버에 연결할 수 없습니다. 연결을 확인하고 다시 시도하세요.",
        ErrorCode::UnexpectedResponse => "서버가 예상하지 못한 응답을 보냈습니다. 다시 시도하세요.",
        _ => return None,
    })
}

/// The Korean of an English text of the UI, of the input rules, or of a 202's `detail`.
pub fn korean(english: &str) -> Option<&'static str> {
    Some(match english {
        // The top bar and the start page.
        "Account" => "계정",
        "Log in" => "로그인",
        "Sign up" => "회원가입",
        "Signed in as " => "로그인 계정: ",
        "Profile" => "프로필",
        "Admin" => "관리",
        "Log out" => "로그아웃",
        "Language" => "언어",
        "Sign up, log in and see your profile. A login system you can drop into your product." => {
            "회원가입하고 로그인해서 내 프로필을 확인하세요. 제품에 바로 넣어 쓸 수 있는 로그인 시스템입니다."
        }
        "The same endpoints this page uses are a JSON API for your scripts and services: " => {
            "이 페이지가 쓰는 엔드포인트는 스크립트와 서비스를 위한 JSON API이기도 합니다: "
        }
        " and " => " 그리고 ",
        "Page not found" => "페이지를 찾을 수 없습니다",
        "There is nothing at this address." => "이 주소에는 아무것도 없습니다.",
        "Go to the start page" => "첫 페이지로 가기",
        // Sign up and log in.
        "Create your account" => "계정 만들기",
        "Email" => "이메일",
        "Username" => "사용자 이름",
        "Password" => "비밀번호",
        "At least 8 characters." => "8자 이상.",
        "Signing up…" => "가입하는 중…",
        "Already have an account? " => "이미 계정이 있나요? ",
        "Almost there: open the link we sent to {email} to verify your address, then log in." => {
            "거의 다 됐습니다. {email}(으)로 보낸 링크를 열어 주소를 인증한 뒤 로그인하세요."
        }
        "Logging in…" => "로그인하는 중…",
        "We have mailed you a new verification link: open it, then log in." => {
            "새 인증 링크를 메일로 보냈습니다. 링크를 연 뒤 로그인하세요."
        }
        "Forgot your password?" => "비밀번호를 잊으셨나요?",
        "New here? " => "처음이신가요? ",
        "Create an account" => "계정 만들기",
        // Forgotten passwords and the mailed links.
        "Enter your account's email address and we will send you a link to choose a new password." => {
            "계정의 이메일 주소를 입력하면 새 비밀번호를 정할 수 있는 링크를 보내 드립니다."
        }
        "Send the link" => "링크 보내기",
        "Sending…" => "보내는 중…",
        "Back to log in" => "로그인으로 돌아가기",
        "Choose a new password" => "새 비밀번호 정하기",
        "New password" => "새 비밀번호",
        "Set the new password" => "새 비밀번호 저장",
        "Saving…" => "저장하는 중…",
        "Your password has been changed, and every device was logged out." => {
            "비밀번호가 바뀌었고 모든 기기에서 로그아웃되었습니다."
        }
        "Log in with your new password" => "새 비밀번호로 로그인하기",
        "This link is incomplete: open the link from the mail again." => {
            "링크가 완전하지 않습니다. 메일의 링크를 다시 여세요."
        }
        "Go to your profile" => "내 프로필로 가기",
        "Verify your email address" => "이메일 주소 인증",
        "Press the button to confirm that this address is yours." => "버튼을 눌러 이 주소가 본인의 것임을 확인하세요.",
        "Verify my email address" => "내 이메일 주소 인증하기",
        "Verifying…" => "인증하는 중…",
        "Your email address is verified." => "이메일 주소가 인증되었습니다.",
        "Confirm your new email address" => "새 이메일 주소 확인",
        "Press the button to move your account to this address. You will log in with it from now on." => {
            "버튼을 누르면 계정이 이 주소로 옮겨집니다. 앞으로는 이 주소로 로그인합니다."
        }
        "Use this address" => "이 주소 사용하기",
        "Confirming…" => "확인하는 중…",
        "Your account's email address is now {email}." => "이제 계정의 이메일 주소는 {email}입니다.",
        // The profile.
        "Your profile" => "내 프로필",
        "Loading your profile…" => "프로필을 불러오는 중…",
        "Hello, {name}!" => "안녕하세요, {name}님!",
        "Role" => "역할",
        "verified" => "인증됨",
        "not verified" => "인증 안 됨",
        "Manage users" => "사용자 관리",
        "Log out everywhere" => "모든 곳에서 로그아웃",
        // The settings area's navigation and sections.
        "Settings" => "설정",
        "Security" => "보안",
        "Your account" => "내 계정",
        "Sessions" => "세션",
        "Ends every session of your account, on every device, this one included." => {
            "이 기기를 포함해 모든 기기에서 계정의 모든 세션을 끝냅니다."
        }
        "Your email address is not verified yet: open the link we mailed you." => {
            "이메일 주소가 아직 인증되지 않았습니다. 메일로 보낸 링크를 여세요."
        }
        "Resend verification email" => "인증 메일 다시 보내기",
        "This is already your email address" => "이미 내 이메일 주소입니다",
        "Enter your password" => "비밀번호를 입력하세요",
        "Change email" => "이메일 변경",
        "New email" => "새 이메일",
        "Your password" => "비밀번호",
        "Send confirmation link" => "확인 링크 보내기",
        "Change your username" => "사용자 이름 변경",
        "New username" => "새 사용자 이름",
        "Save username" => "사용자 이름 저장",
        "Change your password" => "비밀번호 변경",
        "Current password" => "현재 비밀번호",
        "Change password" => "비밀번호 바꾸기",
        "Changing…" => "바꾸는 중…",
        "Enter your current password" => "현재 비밀번호를 입력하세요",
        "Password changed. Every other session has been logged out." => {
            "비밀번호가 바뀌었습니다. 다른 모든 세션은 로그아웃되었습니다."
        }
        "Delete your account" => "계정 삭제",
        "Delete account" => "계정 삭제하기",
        "This removes your account and logs you out everywhere. It cannot be undone." => {
            "계정을 지우고 모든 곳에서 로그아웃합니다. 되돌릴 수 없습니다."
        }
        "Confirm with your password" => "비밀번호로 확인",
        "Delete my account permanently" => "내 계정을 영구히 삭제",
        "Deleting…" => "삭제하는 중…",
        "Cancel" => "취소",
        "Enter your password to confirm" => "확인을 위해 비밀번호를 입력하세요",
        // The admin page.
        "Users" => "사용자",
        "Loading…" => "불러오는 중…",
        "Loading users…" => "사용자를 불러오는 중…",
        "Not allowed" => "권한 없음",
        "This page is for administrators. Ask one to give your account the admin role." => {
            "관리자 전용 페이지입니다. 관리자에게 관리자 역할을 요청하세요."
        }
        "Back to your profile" => "내 프로필로 돌아가기",
        "Change" => "변경",
        "Make user" => "일반 사용자로",
        "Make admin" => "관리자로",
        // Two-step verification: the profile's section and the login's second step.
        "Two-step verification" => "2단계 인증",
        "On" => "켜짐",
        "Off" => "꺼짐",
        "Logging in also asks for a code from your authenticator app." => {
            "로그인할 때 인증 앱의 코드도 입력해야 합니다."
        }
        "Only your password protects this account." => "이 계정은 비밀번호로만 보호됩니다.",
        "Your recovery codes" => "복구 코드",
        "Keep these somewhere safe: each one logs you in once if you lose your phone. They are shown only now." => {
            "안전한 곳에 보관하세요. 휴대폰을 잃어버렸을 때 코드마다 한 번씩 로그인할 수 있습니다. 지금만 표시됩니다."
        }
        "Recovery codes" => "복구 코드 목록",
        "I have saved them" => "저장했습니다",
        "Add a code from an authenticator app on your phone to every login." => {
            "로그인할 때마다 휴대폰 인증 앱의 코드를 함께 입력하도록 설정합니다."
        }
        "Set up two-step verification" => "2단계 인증 설정",
        "Checking…" => "확인 중…",
        "Scan this QR code with your authenticator app:" => "인증 앱으로 이 QR 코드를 스캔하세요:",
        "QR code for your authenticator app" => "인증 앱용 QR 코드",
        "Or type this key into the app:" => "또는 앱에 이 키를 입력하세요:",
        "Code from your app" => "앱에 표시된 코드",
        "Code from your app, or a recovery code" => "앱에 표시된 코드 또는 복구 코드",
        "Enter a code from your authenticator app (or a recovery code)" => {
            "인증 앱의 코드(또는 복구 코드)를 입력하세요"
        }
        "Turn on" => "켜기",
        "Turn it off" => "끄기",
        "Code" => "코드",
        "Turn off two-step verification" => "2단계 인증 끄기",
        "New recovery codes" => "새 복구 코드",
        "The codes you have now stop working." => "지금 가진 코드는 더 이상 쓸 수 없게 됩니다.",
        "Get new recovery codes" => "새 복구 코드 받기",
        "Enter the code your authenticator app shows now." => "인증 앱에 지금 표시된 코드를 입력하세요.",
        "Recovery code" => "복구 코드",
        "Enter one of the recovery codes you saved. Each works once." => {
            "저장해 둔 복구 코드 중 하나를 입력하세요. 코드마다 한 번만 쓸 수 있습니다."
        }
        "Verify" => "확인",
        "Use a recovery code instead" => "복구 코드 사용",
        "Use a code from your app instead" => "앱 코드 사용",
        "Start over" => "처음부터 다시",
        "Enter the code" => "코드를 입력하세요",
        "Two-step" => "2단계 인증",
        "Remove second factor" => "2단계 인증 제거",
        // Passkeys.
        "Remove passkeys" => "패스키 삭제",
        "Passkeys removed" => "삭제한 패스키",
        "“Remove second factor” removes the authenticator app and its recovery codes; “Remove passkeys” removes every passkey. The user is told by mail." => {
            "“2단계 인증 제거”는 인증 앱과 복구 코드를 지우고, “패스키 삭제”는 모든 패스키를 지웁니다. 사용자에게 메일로 알립니다."
        }
        "Verify your email address first: until the address is proven, nothing can be added that signs in to this account." => {
            "먼저 이메일 주소를 인증하세요. 주소가 확인되기 전에는 이 계정에 로그인할 수단을 추가할 수 없습니다."
        }
        "Passkeys" => "패스키",
        "A passkey signs you in with your fingerprint, face or device PIN instead of your password." => {
            "패스키를 쓰면 비밀번호 대신 지문, 얼굴 또는 기기 PIN으로 로그인합니다."
        }
        "No passkeys yet." => "아직 패스키가 없습니다.",
        "Your passkeys" => "내 패스키",
        "last used" => "마지막 사용",
        "never used" => "사용한 적 없음",
        "added" => "추가",
        "Delete passkey" => "패스키 삭제",
        "Delete" => "삭제",
        "Passkey name" => "패스키 이름",
        "Add a passkey" => "패스키 추가",
        "Waiting for your passkey…" => "패스키를 기다리는 중…",
        "Sign in with a passkey" => "패스키로 로그인",
        "Use a passkey" => "패스키 사용",
        "This browser cannot use passkeys here." => "이 브라우저에서는 여기서 패스키를 쓸 수 없습니다.",
        "The passkey request was cancelled or timed out." => "패스키 요청이 취소되었거나 시간이 초과되었습니다.",
        "Passkey name is required" => "패스키 이름을 입력하세요",
        "Passkey name must be at most 50 characters" => "패스키 이름은 50자 이하여야 합니다",
        "Passkey name must not contain control characters" => "패스키 이름에 제어 문자를 쓸 수 없습니다",
        "Passkey name must not contain invisible formatting characters" => {
            "패스키 이름에 보이지 않는 서식 문자를 쓸 수 없습니다"
        }
        // The messages of the input rules (a 422 entry's `msg`), and the `detail` of a 202.
        "Send exactly one of code, recovery_code and passkey" => "code, recovery_code, passkey 중 하나만 보내세요",
        "A verification link is on its way" => "인증 링크를 보냈습니다",
        "A confirmation link is on its way to the new address" => "새 주소로 확인 링크를 보냈습니다",
        "If that address has an account, a reset link is on its way" => {
            "그 주소로 가입된 계정이 있다면 재설정 링크를 보냈습니다"
        }
        "Email is required" => "이메일을 입력하세요",
        "Email must be at most 254 characters" => "이메일은 254자 이하여야 합니다",
        "Enter a valid email address" => "올바른 이메일 주소를 입력하세요",
        "Username is required" => "사용자 이름을 입력하세요",
        "Username must be at most 50 characters" => "사용자 이름은 50자 이하여야 합니다",
        "Username must not contain control characters" => "사용자 이름에 제어 문자를 쓸 수 없습니다",
        "Username must not contain invisible formatting characters" => {
            "사용자 이름에 보이지 않는 서식 문자를 쓸 수 없습니다"
        }
        "Password is required" => "비밀번호를 입력하세요",
        "Password must be at least 8 characters" => "비밀번호는 8자 이상이어야 합니다",
        "Password must be at most 128 characters" => "비밀번호는 128자 이하여야 합니다",
        "Password must not be your email address or username" => {
            "비밀번호로 이메일 주소나 사용자 이름을 쓸 수 없습니다"
        }
        "The new address must differ from the current one" => "새 주소는 지금 주소와 달라야 합니다",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_preferred_language_we_have() {
        assert_eq!(Lang::negotiate("ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7"), Lang::Ko);
        assert_eq!(Lang::negotiate("en-GB,ko;q=0.5"), Lang::En);
        assert_eq!(Lang::negotiate("fr-FR, ko;q=0.4"), Lang::Ko);
        assert_eq!(Lang::negotiate("fr, de"), Lang::En);
        assert_eq!(Lang::negotiate("ko;q=0, en;q=0.1"), Lang::En);
        assert_eq!(Lang::negotiate(""), Lang::En);
        assert_eq!(Lang::negotiate("*"), Lang::En);
    }

    #[test]
    fn a_choice_in_the_cookie_beats_the_header() {
        assert_eq!(Lang::of_request(Some("a=1; lang=ko"), Some("en")), Lang::Ko);
        assert_eq!(Lang::of_request(Some("lang=en"), Some("ko-KR")), Lang::En);
        assert_eq!(Lang::of_request(Some("lang=xx"), Some("ko-KR")), Lang::Ko);
        assert_eq!(Lang::of_request(None, None), Lang::En);
    }

    #[test]
    fn api_errors_are_translated_by_their_code_not_their_wording() {
        let reworded = ApiError::new(ErrorCode::InvalidCredentials, "Wrong e-mail or password");
        assert_eq!(
            error_text(Lang::Ko, &reworded),
            "이메일 또는 비밀번호가 올바르지 않습니다"
        );
        assert_eq!(error_text(Lang::En, &reworded), "Wrong e-mail or password");
        let throttled = ApiError::new(
            ErrorCode::TooManyRequests,
            "Too many attempts. Try again in 30 seconds.",
        );
        assert_eq!(
            error_text(Lang::Ko, &throttled),
            "시도가 너무 많습니다. 30초 후에 다시 시도하세요."
        );
        // No text of its own: the message, translated if it is one of the input rules'.
        let unknown = ApiError::new(ErrorCode::Unknown, "something new");
        assert_eq!(error_text(Lang::Ko, &unknown), "something new");
        let rule = ApiError::new(ErrorCode::ValidationFailed, "Enter a valid email address");
        assert_eq!(error_text(Lang::Ko, &rule), "올바른 이메일 주소를 입력하세요");
    }

    /// Every `tr("…")` of the UI has its Korean, so no page shows English by mistake.
    #[test]
    fn every_ui_text_has_a_translation() {
        fn files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    files(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    out.push(path);
                }
            }
        }
        let mut sources = Vec::new();
        files(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/ui"),
            &mut sources,
        );
        let mut texts = 0;
        for source in sources {
            let code = std::fs::read_to_string(&source).unwrap();
            for piece in code.split("tr(\"").skip(1) {
                let text = &piece[..piece.find("\")").expect("tr(\"…\") closes")];
                assert!(korean(text).is_some(), "{}: no Korean for {text:?}", source.display());
                texts += 1;
            }
        }
        assert!(texts > 80, "only {texts} texts found: is the UI still using tr()?");
    }
}
