//! Keys and other terminal input: the input box's editing, completion menus, the permission
//! question's keys, Ctrl-C / Esc / Shift-Tab.

use super::prompt::{Decision, Reaction};
use super::render::Refusal;
use super::{CONFIRM_WINDOW, Menu, Ui, complete, picker, slash, theme};
use ccrs_core::permissions::Mode;
use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use std::time::Instant;

impl Ui {
    /// Terminal input. Returns a submitted input (shown, sent).
    pub(super) fn on_term(
        &mut self,
        ev: Option<std::io::Result<Event>>,
    ) -> Option<(String, String)> {
        let ev = match ev {
            Some(Ok(e)) => e,
            // The terminal is gone: nothing more can be typed.
            Some(Err(_)) | None => {
                if let Some(b) = &self.busy {
                    b.cancel.cancel();
                }
                self.exit = true;
                return None;
            }
        };
        let out = match ev {
            Event::Key(k) if k.kind != KeyEventKind::Release => self.on_key(k),
            Event::Paste(s) => {
                if let Some(p) = &mut self.prompt
                    && let Some(ed) = &mut p.feedback
                {
                    ed.insert_str(&s.replace(['\r', '\n'], " "));
                } else {
                    // A paste is never an answer: it goes to the input box.
                    if let Some(p) = &mut self.prompt {
                        p.hold(Instant::now());
                    }
                    self.editor.paste(&s);
                    self.history.reset();
                    self.update_live_menu();
                }
                None
            }
            Event::Resize(w, h) => {
                self.resize(w, h);
                None
            }
            _ => None,
        };
        self.request_draw();
        out
    }

    pub(super) fn interrupt(&mut self) {
        if let Some(b) = &mut self.busy
            && !b.interrupted
        {
            b.cancel.cancel();
            b.interrupted = true;
        }
    }

    /// A hint in the status line for as long as its confirmation window lasts.
    fn set_hint(&mut self, hint: &str) {
        self.hint = Some(hint.to_string());
        self.hint_until = Some(Instant::now() + CONFIRM_WINDOW);
    }

    /// The confirmation window is over: its hint goes, and the next Ctrl-C / Esc starts anew.
    pub(super) fn expire_hint(&mut self) {
        self.hint = None;
        self.hint_until = None;
        self.ctrl_c_at = None;
        self.esc_at = None;
        self.request_draw();
    }

    /// Answers the question on screen. "No" without a message also ends the turn (like
    /// Claude Code): the refusal is recorded and no new request is made.
    fn answer_prompt(&mut self, d: Decision) {
        let Some(p) = self.prompt.take() else { return };
        let id = p.job.request.tool_use_id.clone();
        let stop = d == Decision::No(None);
        if let Decision::No(fb) = &d {
            self.refusals.insert(id, Refusal::User(fb.clone()));
        }
        let waited = p.shown_at.elapsed();
        let (line, _) = p.answer(&d, &self.theme);
        self.item(vec![line]);
        if let Some(b) = &mut self.busy {
            b.paused += waited;
            if stop {
                // The answer is sent first: core records the refusal, then sees the turn end.
                b.cancel.cancel();
                b.refused = true;
            }
        }
    }

    pub(super) fn cycle_mode(&mut self) {
        let next = match self.engine.mode() {
            Mode::Default => Mode::AcceptEdits,
            Mode::AcceptEdits => Mode::Plan,
            Mode::Plan if self.bypass_allowed => Mode::BypassPermissions,
            _ => Mode::Default,
        };
        self.engine.set_mode(next);
    }

    pub(super) fn on_key(&mut self, k: KeyEvent) -> Option<(String, String)> {
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        let alt = k.modifiers.contains(KeyModifiers::ALT);
        let shift = k.modifiers.contains(KeyModifiers::SHIFT);
        if !(ctrl && k.code == KeyCode::Char('c')) {
            self.ctrl_c_at = None;
            if self.hint.as_deref().is_some_and(|h| h.contains("Ctrl-C")) {
                self.hint = None;
            }
        }
        if k.code != KeyCode::Esc {
            self.esc_at = None;
            if self.hint.as_deref().is_some_and(|h| h.contains("Esc")) {
                self.hint = None;
            }
        }
        if ctrl && k.code == KeyCode::Char('c') {
            if self.busy.is_some() {
                self.interrupt();
            } else if !self.editor.is_empty() {
                self.editor.clear();
                self.history.reset();
                self.menu = None;
            } else if self.ctrl_c_at.is_some_and(|t| t.elapsed() < CONFIRM_WINDOW) {
                self.exit = true;
            } else {
                self.ctrl_c_at = Some(Instant::now());
                self.set_hint("Press Ctrl-C again to exit");
            }
            return None;
        }
        if let Some(p) = &mut self.prompt {
            match p.key(k, Instant::now()) {
                Reaction::Handled => return None,
                Reaction::Decided(d) => {
                    self.answer_prompt(d);
                    return None;
                }
                // Typed ahead: edited below like any input.
                Reaction::ToInput => {}
            }
        } else if ctrl && k.code == KeyCode::Char('o') {
            self.expand_output();
            return None;
        }
        if let Some(p) = &mut self.picker {
            match p.key(k, &self.engine) {
                picker::Action::None => {}
                picker::Action::Close(log) => {
                    self.picker = None;
                    let t = self.theme;
                    self.pending.extend(
                        log.iter()
                            .map(|l| t.paint(theme::SECONDARY, &format!("  ⎿  {l}"))),
                    );
                }
                picker::Action::Run(line) => {
                    self.picker = None;
                    return Some((line.clone(), line));
                }
            }
            return None;
        }
        if ctrl && k.code == KeyCode::Char('d') {
            if self.editor.is_empty() && self.busy.is_none() {
                self.exit = true;
            } else {
                self.editor.delete();
            }
            return None;
        }
        if k.code == KeyCode::BackTab {
            self.cycle_mode();
            return None;
        }
        if k.code == KeyCode::Esc {
            if self.menu.as_ref().is_some_and(|m| !m.live) {
                self.menu = None;
            } else if self.busy.is_some() {
                self.interrupt();
            } else if !self.editor.is_empty() {
                if self.esc_at.is_some_and(|t| t.elapsed() < CONFIRM_WINDOW) {
                    self.editor.clear();
                    self.menu = None;
                    self.hint = None;
                } else {
                    self.esc_at = Some(Instant::now());
                    self.set_hint("Esc again to clear the input");
                }
            }
            return None;
        }
        let w = self.width();
        let pw = 2;
        let mut edited = true;
        match k.code {
            KeyCode::Enter if shift || alt => self.editor.insert_char('\n'),
            KeyCode::Char('j') if ctrl => self.editor.insert_char('\n'),
            KeyCode::Enter => {
                if self.editor.before_cursor().ends_with('\\') {
                    self.editor.backspace();
                    self.editor.insert_char('\n');
                } else {
                    // Enter on a chosen file accepts it; the prompt is sent with the next one.
                    let choosing_file = |m: &Menu| {
                        !m.live
                            || m.completion
                                .items
                                .first()
                                .is_some_and(|c| c.value.starts_with('@'))
                    };
                    if let Some(m) = self.menu.take()
                        && choosing_file(&m)
                        && m.selected.is_some()
                    {
                        return None;
                    }
                    if self.editor.text().trim().is_empty() {
                        return None;
                    }
                    self.history.reset();
                    return Some(self.editor.take());
                }
            }
            KeyCode::Tab => {
                self.complete();
                edited = false;
            }
            KeyCode::Backspace if alt || ctrl => self.editor.kill_word_back(),
            KeyCode::Backspace => self.editor.backspace(),
            KeyCode::Delete => self.editor.delete(),
            KeyCode::Left if ctrl || alt => self.editor.word_left(),
            KeyCode::Right if ctrl || alt => self.editor.word_right(),
            KeyCode::Left => self.editor.left(),
            KeyCode::Right => self.editor.right(),
            KeyCode::Home => self.editor.home(),
            KeyCode::End => self.editor.end(),
            KeyCode::Up => {
                edited = false;
                if let Some(m) = &mut self.menu
                    && !m.completion.items.is_empty()
                {
                    let n = m.completion.items.len();
                    m.selected = Some(m.selected.map_or(n - 1, |s| (s + n - 1) % n));
                    self.apply_menu_selection();
                } else if !self.editor.vertical(-1, w, pw) {
                    let cur = self.editor.text().to_string();
                    if let Some(h) = self.history.prev(&cur) {
                        self.editor.set(&h);
                    }
                }
            }
            KeyCode::Down => {
                edited = false;
                if let Some(m) = &mut self.menu
                    && !m.completion.items.is_empty()
                {
                    let n = m.completion.items.len();
                    m.selected = Some(m.selected.map_or(0, |s| (s + 1) % n));
                    self.apply_menu_selection();
                } else if !self.editor.vertical(1, w, pw)
                    && let Some(h) = self.history.next()
                {
                    self.editor.set(&h);
                }
            }
            KeyCode::Char(c) if ctrl => match c {
                'a' => self.editor.home(),
                'e' => self.editor.end(),
                'b' => self.editor.left(),
                'f' => self.editor.right(),
                'w' | 'h' => self.editor.kill_word_back(),
                'u' => self.editor.kill_to_start(),
                'k' => self.editor.kill_to_end(),
                'y' => self.editor.yank(),
                'l' => {
                    self.screen.invalidate();
                    edited = false;
                }
                'z' => {
                    self.stop();
                    edited = false;
                }
                _ => edited = false,
            },
            KeyCode::Char(c) if alt => match c {
                'b' => self.editor.word_left(),
                'f' => self.editor.word_right(),
                'd' => self.editor.kill_word_forward(),
                _ => edited = false,
            },
            KeyCode::Char(c) => self.editor.insert_char(c),
            _ => edited = false,
        }
        if edited {
            self.history.reset();
            self.update_live_menu();
        }
        None
    }

    /// Suggestions follow the input while it is a lone `/word` (commands) or while the cursor
    /// ends an `@path` word (files; an empty list says nothing matches). Any other menu closes.
    pub(super) fn update_live_menu(&mut self) {
        let before = self.editor.before_cursor();
        // The command list is gathered only while a command is being typed, not per keystroke.
        let typing_command = before.starts_with('/') && before.len() == self.editor.text().len();
        let completion = if typing_command {
            complete::slash(before, &slash::all_names(&self.custom))
        } else if let Some(word) = complete::at_word(before) {
            Some(
                complete::paths(before, &self.cwd).unwrap_or(complete::Completion {
                    replace_len: word.len(),
                    items: Vec::new(),
                }),
            )
        } else {
            None
        };
        self.menu = completion.map(|c| Menu {
            completion: c,
            selected: None,
            live: true,
        });
    }

    pub(super) fn apply_menu_selection(&mut self) {
        let Some(m) = &mut self.menu else { return };
        let Some(i) = m.selected else { return };
        let Some(c) = m.completion.items.get(i) else {
            return;
        };
        let value = c.value.clone();
        self.editor
            .replace_before_cursor(m.completion.replace_len, &value);
        m.completion.replace_len = value.len();
    }

    pub(super) fn complete(&mut self) {
        // A menu on screen: Tab takes its only candidate or cycles through them.
        if let Some(m) = &mut self.menu
            && !m.completion.items.is_empty()
        {
            // Tab again: next candidate.
            let n = m.completion.items.len();
            if n == 1 {
                let v = m.completion.items[0].value.clone();
                let len = m.completion.replace_len;
                self.menu = None;
                self.editor.replace_before_cursor(len, &v);
                if !v.ends_with('/') {
                    self.editor.insert_char(' ');
                }
                return;
            }
            m.selected = Some(m.selected.map_or(0, |s| (s + 1) % n));
            self.apply_menu_selection();
            return;
        }
        let before = self.editor.before_cursor().to_string();
        let names = slash::all_names(&self.custom);
        let c = complete::slash(&before, &names).or_else(|| complete::paths(&before, &self.cwd));
        let Some(c) = c else { return };
        if c.items.len() == 1 {
            let v = c.items[0].value.clone();
            self.editor.replace_before_cursor(c.replace_len, &v);
            if !v.ends_with('/') {
                self.editor.insert_char(' ');
            }
            self.menu = None;
            return;
        }
        let prefix = c.common_prefix();
        let mut c = c;
        if prefix.len() > c.replace_len {
            self.editor.replace_before_cursor(c.replace_len, &prefix);
            c.replace_len = prefix.len();
        }
        self.menu = Some(Menu {
            completion: c,
            selected: None,
            live: false,
        });
    }
}
