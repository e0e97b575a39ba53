;;; ghostwright-test.el --- ERT tests of ghostwright.el against the real server -*- lexical-binding: t; -*-

;;; Commentary:

;; Run in `emacs --batch' with the real server and the real model:
;;
;;   GHOSTWRIGHT_SERVER=.venv/bin/ghostwright emacs -Q --batch -L elisp \
;;     -l tests/elisp/ghostwright-test.el -f ert-run-tests-batch-and-exit
;;
;; Each transport (own connection, eglot, lsp-mode) runs the same
;; scenario: trigger, watch the ghost text stream, type through it,
;; move away, trigger again, accept, and compare the buffer.

;;; Code:

(require 'ert)
(require 'cl-lib)
(setq package-directory-list (list "/usr/share/emacs/site-lisp/elpa"))
(package-initialize)
(require 'ghostwright)
(require (quote python))
(defvar evil-state)
(defvar evil-insert-state-entry-hook nil)

(defvar gwt-server (or (getenv "GHOSTWRIGHT_SERVER") "ghostwright")
  "The ghostwright executable under test.")

(defvar gwt-main-server
  (list (expand-file-name "python" (file-name-directory gwt-server))
        (expand-file-name "main_server.py" (file-name-directory (or load-file-name buffer-file-name))))
  "Command of the stand-in main language server.")

;; Every scenario must stream from the model, so the server's prompt cache is off here
;; (tests/test_reuse.py covers it): a repeated prompt would otherwise answer at once.
(setq ghostwright-server-command (list gwt-server "serve")
      ghostwright-initialization-options '(:completion (:debounceMs 0 :maxTokens 32 :cacheEntries 0)))

(defconst gwt-prefix
  "import math\n\n\ndef circle_area(radius: float) -> float:\n    \"\"\"Return the area of a circle.\"\"\"\n    "
  "Text before point in the scenario buffer.")
(defconst gwt-suffix "\n\n\nprint(circle_area(2.0))\n"
  "Text after point in the scenario buffer.")

;;; Helpers

(defvar gwt-while-waiting nil
  "Functions run while a test waits: what the command loop's idle time would do.")

(defun gwt-wait (pred timeout what)
  "Process output until PRED holds or TIMEOUT seconds pass; fail naming WHAT."
  (let ((deadline (+ (float-time) timeout)))
    (while (and (not (funcall pred)) (< (float-time) deadline))
      (run-hooks 'gwt-while-waiting)
      (accept-process-output nil 0.05))
    (or (funcall pred) (ert-fail (format "timed out after %ss waiting for %s" timeout what)))))

(defun gwt-settle (seconds)
  "Process output for SECONDS."
  (let ((deadline (+ (float-time) seconds)))
    (while (< (float-time) deadline)
      (accept-process-output nil 0.05))))

(defun gwt-command (command &optional char)
  "Run COMMAND as the command loop would, with CHAR as the typed key."
  (let ((this-command command)
        (last-command-event (or char last-command-event)))
    (run-hooks 'pre-command-hook)
    (call-interactively command)
    (run-hooks 'post-command-hook)))

(defun gwt-ghost ()
  "The ghost text shown now, or nil."
  (let* ((ov ghostwright--overlay)
         (shown (and ov (overlay-buffer ov)
                     (or (overlay-get ov 'after-string)
                         ;; Mid-line: the ghost text, then the character after point.
                         (let ((display (overlay-get ov 'display)))
                           (and display (substring display 0 -1)))))))
    ;; Before a leading newline, a blank holds the cursor at point.
    (if (and shown (> (length shown) 0) (get-text-property 0 'ghostwright-pad shown))
        (substring shown 1)
      shown)))

(defvar gwt-requests 0 "Completion requests sent so far.")
(defun gwt-count-request (&rest _)
  "Count a completion request."
  (cl-incf gwt-requests))
(advice-add 'ghostwright--send :before #'gwt-count-request)

(defmacro gwt-with-python-file (&rest body)
  "Run BODY in a Python buffer visiting a fresh file holding prefix and suffix."
  (declare (indent 0))
  `(let* ((dir (make-temp-file "gwt" t))
          (file (expand-file-name "shapes.py" dir)))
     (with-temp-file file (insert gwt-prefix gwt-suffix))
     (let ((buffer (find-file-noselect file)))
       (unwind-protect
           (with-current-buffer buffer
             (python-mode)
             (goto-char (1+ (length gwt-prefix)))
             ,@body)
         (when (buffer-live-p buffer)
           (with-current-buffer buffer
             (ghostwright-mode -1)
             (set-buffer-modified-p nil))
           (kill-buffer buffer))
         (delete-directory dir t)))))

(defun gwt-trigger-and-stream ()
  "Trigger at point and wait for the final answer; return (PARTIALS . FINAL)."
  (let (shown)
    (add-hook 'ghostwright-show-functions
              (lambda (text final) (push (cons text final) shown)) nil t)
    (ghostwright-complete)
    (should (eq ghostwright--state 'thinking))
    (gwt-wait (lambda () (cl-some #'cdr shown)) 120 "the final completion")
    (remove-hook 'ghostwright-show-functions (car ghostwright-show-functions) t)
    (let ((partials (delete-dups (mapcar #'car (cl-remove-if #'cdr (reverse shown)))))
          (final (car (cl-find-if #'cdr shown))))
      (cons partials final))))

(defun gwt-scenario (kind)
  "The end-to-end scenario in the current buffer; the transport must be KIND."
  (should (eq (car (ghostwright--transport)) kind))
  (let* ((before (buffer-string))
         (run (gwt-trigger-and-stream))
         (partials (car run))
         (final (cdr run)))
    ;; Streaming: at least two different texts before the final one.
    (should (>= (length partials) 2))
    (should (> (length final) 1))
    (should (equal (gwt-ghost) final))
    (should (eq (get-text-property 0 'cursor (gwt-ghost)) t))
    (should (= (overlay-start ghostwright--overlay) (point)))
    (should (eq (get-text-property 0 'face (gwt-ghost)) 'ghostwright-ghost-face))
    (should ghostwright--showing)
    (should (eq (lookup-key ghostwright-active-map (kbd "TAB")) #'ghostwright-accept))
    ;; Typing through consumes the ghost text and sends nothing.
    (let ((requests gwt-requests)
          (first (aref final 0)))
      (gwt-command #'self-insert-command first)
      (gwt-settle 0.3)
      (should (= gwt-requests requests))
      (should (equal (gwt-ghost) (substring final 1)))
      (should (equal (buffer-string) (concat gwt-prefix (string first) gwt-suffix)))
      ;; Moving the cursor dismisses it.
      (gwt-command #'backward-char)
      (should-not (gwt-ghost))
      (should-not ghostwright--showing)
      (gwt-command #'forward-char)
      (gwt-command #'delete-backward-char)
      (should (equal (buffer-string) before)))
    ;; Trigger again, accept in one undo step.
    (let ((final (cdr (gwt-trigger-and-stream))))
      (undo-boundary)
      (gwt-command #'ghostwright-accept)
      (should (equal (buffer-string) (concat gwt-prefix final gwt-suffix)))
      (should-not (gwt-ghost))
      (should (= (point) (+ 1 (length gwt-prefix) (length final))))
      (undo-boundary)
      (primitive-undo 1 (if (car buffer-undo-list) buffer-undo-list (cdr buffer-undo-list)))
      (should (equal (buffer-string) before)))
    ;; The mode line names backend and device once the server answered.
    (gwt-wait (lambda () (string-match-p "GW\\[openvino/" (ghostwright--mode-line)))
              10 "the status in the mode line")
    (let (said)
      (cl-letf (((symbol-function 'message) (lambda (fmt &rest args) (setq said (apply #'format fmt args)))))
        (ghostwright-status)
        (gwt-wait (lambda () said) 10 "the status in the echo area")
        (should (string-match-p "openvino qwen2.5-coder[^ ]* on [A-Z]+, [0-9]+ requests" said))))))

;;; The own connection

(ert-deftest ghostwright-standalone-streams-types-through-and-accepts ()
  "Own connection: the ghost text streams, is typed through, dismissed, accepted."
  (let ((ghostwright-transport 'standalone))
    (gwt-with-python-file
      (ghostwright-mode 1)
      (gwt-scenario 'standalone))))

(ert-deftest ghostwright-typing-through-while-streaming ()
  "Characters typed while the text still grows are consumed; later partials fit."
  (let ((ghostwright-transport 'standalone)
        (shown nil))
    (gwt-with-python-file
      (ghostwright-mode 1)
      (add-hook 'ghostwright-show-functions (lambda (text final) (push (cons text final) shown)) nil t)
      (ghostwright-complete)
      (gwt-wait (lambda () (and ghostwright--showing (> (length (gwt-ghost)) 1))) 120 "a first partial")
      (should ghostwright--pending)
      (let ((first (aref (gwt-ghost) 0))
            (requests gwt-requests))
        (gwt-command #'self-insert-command first)
        (should ghostwright--pending)
        (gwt-wait (lambda () (cl-some #'cdr shown)) 120 "the final completion")
        (should (= gwt-requests requests))
        (let ((final (car (cl-find-if #'cdr shown))))
          (should (equal (gwt-ghost) final))
          (gwt-command #'ghostwright-accept)
          (should (equal (buffer-string)
                         (concat gwt-prefix (string first) final gwt-suffix))))))))

(defun gwt-standalone-counter (key)
  "Counter KEY of the own connection's backend, from `ghostwright/status'."
  (let ((status (jsonrpc-request (ghostwright--connection) :ghostwright/status nil)))
    (plist-get (seq-elt (plist-get status :backends) 0) key)))

(ert-deftest ghostwright-moving-away-while-streaming-cancels-the-generation ()
  "Moving the cursor while the text grows clears it and stops the model."
  (let ((ghostwright-transport 'standalone))
    (gwt-with-python-file
      (ghostwright-mode 1)
      (ghostwright--transport)
      (let ((cancellations (gwt-standalone-counter :cancellations)))
        (ghostwright-complete)
        (gwt-wait (lambda () ghostwright--showing) 120 "a first partial")
        (should ghostwright--pending)
        (gwt-command #'previous-line)
        (should-not (gwt-ghost))
        (should-not ghostwright--pending)
        (gwt-wait (lambda () (> (gwt-standalone-counter :cancellations) cancellations)) 30
                  "the server to count the cancelled generation")
        ;; Late partials of the cancelled request stay dropped.
        (gwt-settle 0.3)
        (should-not (gwt-ghost))))))

(defconst gwt-wide-lines '("# 👋👋👋 " "s = \"こんにちは世界 🌏\"" "x = '𝔘'")
  "Lines whose characters count differently in UTF-8, UTF-16 and UTF-32.")

(defun gwt-type-after-wide-characters ()
  "Type after emoji and CJK, delete across them, as a user would."
  (goto-char (point-min))
  (dolist (line gwt-wide-lines)
    (insert line "\n"))
  (goto-char (point-min))
  (end-of-line)
  (dolist (c (string-to-list "hello")) (gwt-command #'self-insert-command c))
  (forward-line 1)
  (search-forward "世界")
  (insert " ✓ done")
  (backward-char 3)
  (delete-char -2)
  (forward-line 1)
  (end-of-line)
  (insert "  # 𝔘𝔘")
  (beginning-of-line)
  (delete-char 2))

(ert-deftest ghostwright-standalone-document-sync-matches-the-buffer ()
  "Own connection: incremental changes, after emoji and CJK too, leave the server with the buffer's text."
  (let ((ghostwright-transport 'standalone))
    (gwt-with-python-file
      (ghostwright-mode 1)
      (ghostwright--transport)
      (insert "x = 1\n    ")
      (goto-char (point-min))
      (insert "# ünïcode ☃ 𝔘\n")
      (search-forward "import")
      (replace-match "from os import path\nimport")
      (delete-region (point-min) (+ (point-min) 3))
      (gwt-type-after-wide-characters)
      (let ((answer (jsonrpc-request (ghostwright--connection) :ghostwright/documentText
                                     (list :textDocument (list :uri (ghostwright--uri))))))
        (should (equal (plist-get answer :text) (buffer-string)))
        (should (equal (plist-get answer :version) ghostwright--version))))))

(ert-deftest ghostwright-standalone-names-the-project-as-a-workspace-folder ()
  "Own connection: the buffer's project root (project.el) becomes a workspace folder, once."
  (let ((ghostwright-transport 'standalone))
    (gwt-with-python-file
      (let ((root (directory-file-name (file-name-directory buffer-file-name))))
        (make-directory (expand-file-name ".git" root))
        (ghostwright-mode 1)
        (ghostwright--transport)
        (let* ((status (jsonrpc-request (ghostwright--connection) :ghostwright/status nil))
               (folders (append (plist-get (plist-get status :context) :workspaceFolders) nil)))
          (should (member root folders))
          (should (equal (cl-count root ghostwright--folders-sent :test #'equal) 1)))))))

(ert-deftest ghostwright-killing-a-buffer-mid-stream-cancels-its-generation ()
  "Killing the buffer while the text grows stops the model and closes the document."
  (let ((ghostwright-transport 'standalone))
    (gwt-with-python-file
      (ghostwright-mode 1)
      (ghostwright--transport)
      (let ((cancellations (gwt-standalone-counter :cancellations))
            (uri (ghostwright--uri)))
        (ghostwright-complete)
        (gwt-wait (lambda () ghostwright--showing) 120 "a first partial")
        (should ghostwright--pending)
        (set-buffer-modified-p nil)
        (let ((buffer (current-buffer))
              (id (plist-get ghostwright--pending :handle))
              (sent nil))
          (with-temp-buffer
            (cl-letf* ((notify (symbol-function 'jsonrpc-notify))
                       ((symbol-function 'jsonrpc-notify)
                        (lambda (conn method params)
                          (push (cons method params) sent)
                          (funcall notify conn method params))))
              (kill-buffer buffer))
            ;; The request is cancelled, then the document closed.
            (should (equal (mapcar #'car (reverse sent)) '(:$/cancelRequest :textDocument/didClose)))
            (should (equal (cdr (car (last sent))) (list :id id)))
            (gwt-wait (lambda () (> (gwt-standalone-counter :cancellations) cancellations)) 30
                      "the server to count the cancelled generation")
            (should-not (jsonrpc-request (ghostwright--connection) :ghostwright/documentText
                                         (list :textDocument (list :uri uri))))))))))

(ert-deftest ghostwright-shutdown-stays-shut-until-asked ()
  "After `ghostwright-shutdown' pauses start nothing; `ghostwright-complete' starts it again."
  (let ((ghostwright-transport 'standalone))
    (gwt-with-python-file
      (ghostwright-mode 1)
      (ghostwright--transport)
      (should (jsonrpc-running-p ghostwright--connection))
      (let ((old ghostwright--connection))
        (ghostwright-shutdown)
        (gwt-wait (lambda () (not (jsonrpc-running-p old))) 10 "the server to stop"))
      (should (string-match-p ":off" (ghostwright--mode-line)))
      (let ((requests gwt-requests))
        (gwt-command #'self-insert-command ?r)
        (ghostwright--on-idle (current-buffer) (point) (buffer-chars-modified-tick))
        (gwt-settle 0.5)
        (should-not ghostwright--connection)
        (should (= gwt-requests requests))
        (ghostwright-complete)
        (should (jsonrpc-running-p ghostwright--connection))
        (should (= gwt-requests (1+ requests)))
        (ghostwright-dismiss)))))

(ert-deftest ghostwright-server-that-cannot-start-says-why-in-one-line ()
  "A server that exits at start is named with the last line of its stderr."
  (let* ((script (make-temp-file "gwt-bad" nil ".sh"
                                 "#!/bin/sh\necho 'Traceback (most recent call last):' >&2\necho 'ghostwright: bad config: completion.maxTokens must be > 0' >&2\nexit 1\n"))
         (ghostwright-server-command (list script "serve"))
         (ghostwright-transport 'standalone)
         (ghostwright--connection nil)
         (ghostwright--connect-error nil)
         (ghostwright--shut nil)
         (messages nil))
    (set-file-modes script #o755)
    (unwind-protect
        (cl-letf (((symbol-function 'message)
                   (lambda (fmt &rest args) (when fmt (push (apply #'format fmt args) messages)))))
          (with-temp-buffer
            (python-mode)
            (ghostwright-mode 1)
            (should-error (ghostwright-complete) :type 'user-error)
            (let ((said (cl-remove-if-not (lambda (m) (string-prefix-p "ghostwright:" m)) messages)))
              (should (= 1 (length said)))
              (should-not (string-match-p "\n" (car said)))
              (should (string-match-p "bad config: completion.maxTokens must be > 0" (car said))))))
      (delete-file script))))

(ert-deftest ghostwright-stale-partials-are-dropped ()
  "A partial for another version or position never shows."
  (let ((ghostwright-transport 'standalone))
    (gwt-with-python-file
      (ghostwright-mode 1)
      (ghostwright-complete)
      (let ((p ghostwright--pending))
        (ghostwright--on-partial
         (list :textDocument (list :uri (plist-get p :uri) :version (1- (plist-get p :version)))
               :position (list :line (plist-get p :line) :character (plist-get p :character))
               :text "STALE"))
        (ghostwright--on-partial
         (list :textDocument (list :uri (plist-get p :uri) :version (plist-get p :version))
               :position (list :line 0 :character 0)
               :text "STALE"))
        (should-not (gwt-ghost))
        (ghostwright--on-partial
         (list :textDocument (list :uri (plist-get p :uri) :version (plist-get p :version))
               :position (list :line (plist-get p :line) :character (plist-get p :character))
               :text "fresh"))
        (should (equal (gwt-ghost) "fresh")))
      (ghostwright-dismiss)
      (should-not ghostwright--pending))))

(ert-deftest ghostwright-partials-without-a-readable-version ()
  "Where the transport's version cannot be read, the client's own floor decides."
  (let ((ghostwright-transport 'standalone))
    (gwt-with-python-file
      (ghostwright-mode 1)
      (ghostwright-complete)
      (let* ((p ghostwright--pending)
             (partial (lambda (version text)
                        (ghostwright--on-partial
                         (list :textDocument (list :uri (plist-get p :uri) :version version)
                               :position (list :line (plist-get p :line) :character (plist-get p :character))
                               :text text)))))
        (plist-put p :version nil)
        (plist-put p :floor 5)
        (funcall partial 4 "STALE")
        (should-not (gwt-ghost))
        (funcall partial 5 "fresh")
        (should (equal (gwt-ghost) "fresh"))
        (funcall partial 6 "OTHER")
        (should (equal (gwt-ghost) "fresh"))
        ;; After an edit, the next request wants a newer version than the one seen.
        (should (equal ghostwright--server-seen (cons 5 (plist-get p :tick))))
        (ghostwright-dismiss)
        (insert "x")
        (should (= (ghostwright--version-floor) 6))))))

(ert-deftest ghostwright-accept-word-and-line ()
  "Accepting a word, then a line, inserts those parts and keeps the rest."
  (with-temp-buffer
    (ghostwright-mode 1)
    (insert "x = ")
    (ghostwright--display (list "compute(a, b)\nprint(x)") t)
    (gwt-command #'ghostwright-accept-word)
    (should (equal (buffer-string) "x = compute"))
    (should (equal (gwt-ghost) "(a, b)\nprint(x)"))
    (gwt-command #'ghostwright-accept-line)
    (should (equal (buffer-string) "x = compute(a, b)"))
    (should (equal (gwt-ghost) "\nprint(x)"))
    (gwt-command #'ghostwright-accept-line)
    (should (equal (buffer-string) "x = compute(a, b)\nprint(x)"))
    (should-not (gwt-ghost))))

(ert-deftest ghostwright-ghost-text-mid-line-and-end-of-buffer ()
  "Mid-line and at end of buffer the ghost text sits at point, cursor before it."
  (with-temp-buffer
    (ghostwright-mode 1)
    (insert "print()")
    (backward-char 1)
    (ghostwright--display (list "value") t)
    (should (= (overlay-start ghostwright--overlay) (point)))
    (should (equal (substring-no-properties (overlay-get ghostwright--overlay 'display)) "value)"))
    (should (eq (get-text-property 0 'cursor (gwt-ghost)) t))
    (gwt-command #'ghostwright-accept)
    (should (equal (buffer-string) "print(value)"))
    (goto-char (point-max))
    (ghostwright--display (list "\nprint(1)") t)
    (should (= (overlay-start ghostwright--overlay) (point-max)))
    (gwt-command #'ghostwright-dismiss)
    (should-not (gwt-ghost))))

(ert-deftest ghostwright-missing-server-is-reported-once ()
  "A server that cannot start is named once; pauses stay quiet; an explicit request retries."
  (let ((ghostwright-server-command '("/nonexistent/ghostwright" "serve"))
        (ghostwright-transport 'standalone)
        (ghostwright--connection nil)
        (ghostwright--connect-error nil)
        (messages nil))
    (cl-letf (((symbol-function 'message)
               (lambda (fmt &rest args) (push (apply #'format fmt args) messages))))
      (with-temp-buffer
        (python-mode)
        (ghostwright-mode 1)
        (insert "x = ")
        (setq messages nil)
        (ghostwright--on-idle (current-buffer) (point) (buffer-chars-modified-tick))
        ;; Other packages' late messages (lsp-mode's of an earlier test) may come in too.
        (setq messages (cl-remove-if-not (lambda (m) (string-prefix-p "ghostwright:" m)) messages))
        (should (= (length messages) 1))
        (should (string-match-p "cannot start /nonexistent/ghostwright serve" (car messages)))
        (ghostwright--on-idle (current-buffer) (point) (buffer-chars-modified-tick))
        (gwt-settle 0.2)
        (should (= 1 (cl-count-if (lambda (m) (string-prefix-p "ghostwright:" m)) messages)))
        (should-not ghostwright--pending)
        (should-error (ghostwright-complete) :type 'user-error)
        (should (= 2 (cl-count-if (lambda (m) (string-prefix-p "ghostwright: cannot start" m))
                                  messages)))))))

(ert-deftest ghostwright-disable-predicates ()
  "Read-only buffers, the minibuffer and evil normal state schedule nothing."
  (with-temp-buffer
    (setq buffer-read-only t)
    (should (ghostwright--disabled-p)))
  (with-temp-buffer
    (let ((evil-state 'normal))
      (should (ghostwright--disabled-p)))
    (let ((evil-state 'insert))
      (should-not (ghostwright--disabled-p)))))

(ert-deftest ghostwright-idle-trigger-after-typing ()
  "Typing schedules one automatic request on idle; the newest edit wins."
  (let ((ghostwright-transport 'standalone))
    (gwt-with-python-file
      (ghostwright-mode 1)
      (let ((requests gwt-requests))
        (gwt-command #'self-insert-command ?r)
        (let ((first ghostwright--idle-timer))
          (should (memq first timer-idle-list))
          (gwt-command #'self-insert-command ?e)
          (should-not (memq first timer-idle-list)))
        (should (memq ghostwright--idle-timer timer-idle-list))
        (should (= gwt-requests requests))
        ;; What the command loop does once Emacs has been idle long enough.
        (timer-event-handler ghostwright--idle-timer)
        (should (= gwt-requests (1+ requests)))
        (gwt-wait (lambda () (and ghostwright--showing (null ghostwright--pending))) 120
                  "the automatic completion")
        (should (equal (buffer-string) (concat gwt-prefix "re" gwt-suffix)))))
    (with-temp-buffer
      (ghostwright-mode 1)
      (setq buffer-read-only t)
      (setq ghostwright--idle-timer nil)
      (let ((inhibit-read-only t))
        (gwt-command #'self-insert-command ?x))
      (should-not ghostwright--idle-timer))))

(defvar gwt-evil-alist nil "Stands for evil's emulation alist.")

(ert-deftest ghostwright-spacemacs-keys-win-over-evil-insert-state ()
  "With the layer's funcs, the ghost-text keys beat an evil-like map, only while shown.
Keys of everyday editing (C-e here) keep evil's meaning even then."
  (load (expand-file-name "../../elisp/spacemacs/ghostwright/funcs.el"
                          (file-name-directory (symbol-file 'gwt-wait))) nil t)
  (let* ((evil-like (let ((map (make-sparse-keymap)))
                      (define-key map (kbd "C-e") #'end-of-line)
                      (define-key map (kbd "M-n") #'next-line)
                      map))
         (gwt-evil-alist `((t . ,evil-like)))
         (emulation-mode-map-alists emulation-mode-map-alists))
    (with-temp-buffer
      (ghostwright-mode 1)
      (add-to-list 'emulation-mode-map-alists 'gwt-evil-alist)
      (ghostwright//bind-active-keys)
      (ghostwright//keep-keys-above-evil)
      (remove-hook 'evil-insert-state-entry-hook (car (last evil-insert-state-entry-hook)))
      (should (eq (key-binding (kbd "M-n")) #'next-line))
      (insert "x = ")
      (ghostwright--display (list "1") t)
      (should (eq (key-binding (kbd "M-n")) #'ghostwright-next))
      (should (eq (key-binding (kbd "C-l")) #'ghostwright-accept))
      (should (eq (key-binding (kbd "TAB")) #'ghostwright-accept))
      (should (eq (key-binding (kbd "C-e")) #'end-of-line))
      (should (eq (key-binding (kbd "M-l")) #'downcase-word))
      (ghostwright-dismiss)
      (should (eq (key-binding (kbd "M-n")) #'next-line)))))

(ert-deftest ghostwright-keys-leave-everyday-editing-alone ()
  "While ghost text shows, C-e and M-f move; TAB accepts; C-u TAB indents."
  (with-temp-buffer
    (python-mode)
    (ghostwright-mode 1)
    (insert "def f():\n")
    (ghostwright--display (list "return 1") t)
    (should ghostwright--showing)
    (should (eq (key-binding (kbd "C-e")) #'move-end-of-line))
    (should (eq (key-binding (kbd "M-f")) #'forward-word))
    (should (eq (key-binding (kbd "TAB")) #'ghostwright-accept))
    (should (eq (key-binding (kbd "M-<right>")) #'ghostwright-accept-word))
    (should (eq (key-binding (kbd "M-<end>")) #'ghostwright-accept-line))
    ;; C-u TAB: what TAB does without ghost text.
    (let ((current-prefix-arg '(4)))
      (gwt-command #'ghostwright-accept))
    (should (equal (buffer-string) "def f():\n    "))
    (should-not (gwt-ghost))
    (ghostwright--display (list "return 1") t)
    (gwt-command #'ghostwright-accept)
    (should (equal (buffer-string) "def f():\n    return 1"))))

(ert-deftest ghostwright-leading-newline-keeps-the-cursor-at-point ()
  "Ghost text that starts with a newline: the cursor property sits before it, on point's line."
  (with-temp-buffer
    (ghostwright-mode 1)
    (insert "def f():")
    (ghostwright--display (list "\n    return 1") t)
    (let ((shown (overlay-get ghostwright--overlay 'after-string)))
      (should (eq (get-text-property 0 'cursor shown) t))
      (should-not (string-match-p "\n" (substring shown 0 1))))
    (should (equal (gwt-ghost) "\n    return 1"))
    (gwt-command #'ghostwright-accept)
    (should (equal (buffer-string) "def f():\n    return 1"))))

;;; eglot, with ghostwright as the buffer's server

(ert-deftest ghostwright-eglot-beside-another-server-uses-its-own-connection ()
  "eglot managed by another server: ghostwright runs its own connection beside it."
  (require 'eglot)
  (let ((eglot-server-programs `((python-mode . ,gwt-main-server)))
        (eglot-sync-connect t)
        (ghostwright-transport 'auto))
    (gwt-with-python-file
      (apply #'eglot (eglot--guess-contact))
      (gwt-wait #'eglot-current-server 30 "eglot to connect")
      (should (equal (plist-get (eglot--server-info (eglot-current-server)) :name) "main-lsp"))
      (ghostwright-mode 1)
      (unwind-protect
          (progn
            (gwt-scenario 'standalone)
            (eglot--signal-textDocument/didChange) ; eglot sends changes on an idle timer
            (let ((stats (jsonrpc-request (eglot-current-server) :main/stats nil)))
              (should (= 0 (plist-get stats :inlineCompletion)))
              (should (> (plist-get stats :didChange) 0))))
        (eglot-shutdown (eglot-current-server))))))

;; Every internal of eglot, lsp-mode and jsonrpc the client may read.
(defconst gwt-all-private-symbols
  (apply #'append (mapcar #'cdr ghostwright--private-uses)))

(defmacro gwt-with-eglot-ghostwright (&rest body)
  "Run BODY in a Python buffer whose eglot server is ghostwright."
  (declare (indent 0))
  `(progn
     (require 'eglot)
     (let ((eglot-server-programs `((python-mode . ,(ghostwright-eglot-contact))))
           (eglot-sync-connect t)
           (ghostwright-transport 'auto))
       (gwt-with-python-file
         (apply #'eglot (eglot--guess-contact))
         (gwt-wait #'eglot-current-server 30 "eglot to connect")
         (ghostwright-mode 1)
         (unwind-protect
             (progn ,@body)
           (when (eglot-current-server)
             (eglot-shutdown (eglot-current-server))))))))

(ert-deftest ghostwright-eglot-streams-types-through-and-accepts ()
  "eglot: requests and partials go through eglot's own connection."
  (gwt-with-eglot-ghostwright
    (gwt-scenario 'eglot)
    (should-not ghostwright--opened)))

(ert-deftest ghostwright-eglot-without-its-internals ()
  "eglot with every internal renamed away (as eglot 1.20 renamed its version): it still streams."
  (gwt-with-eglot-ghostwright
    (let ((ghostwright--shunned-symbols gwt-all-private-symbols)
          ;; Without the internal flush the request waits for eglot to send its changes,
          ;; which eglot does on an idle timer: batch Emacs is never idle.
          (gwt-while-waiting (list (lambda () (when eglot--recent-changes
                                                 (eglot--signal-textDocument/didChange))))))
      (clrhash ghostwright--ghostwright-servers)
      (gwt-scenario 'eglot))))

(ert-deftest ghostwright-eglot-positions-after-emoji-and-cjk ()
  "eglot: after emoji and CJK the server's copy equals the buffer."
  (gwt-with-eglot-ghostwright
    (gwt-type-after-wide-characters)
    (eglot--signal-textDocument/didChange)
    (let ((answer (jsonrpc-request (eglot-current-server) :ghostwright/documentText
                                   (list :textDocument (eglot--TextDocumentIdentifier)))))
      (should (equal (plist-get answer :text) (buffer-string))))))

(ert-deftest ghostwright-eglot-shutdown-stays-shut ()
  "`ghostwright-shutdown' over eglot stops eglot's ghostwright, and no own server starts."
  (gwt-with-eglot-ghostwright
    (let ((ghostwright--connection nil)
          (requests gwt-requests))
      (should (ghostwright--eglot-server))
      (ghostwright-shutdown)
      (gwt-wait (lambda () (not (eglot-current-server))) 10 "eglot's server to stop")
      (gwt-command #'self-insert-command ?r)
      (ghostwright--on-idle (current-buffer) (point) (buffer-chars-modified-tick))
      (gwt-settle 0.3)
      (should-not ghostwright--connection)
      (should (= gwt-requests requests))
      (setq ghostwright--shut nil))))

(ert-deftest ghostwright-private-symbols-of-the-installed-packages-resolve ()
  "Each internal the client reads exists in the installed eglot, lsp-mode and jsonrpc.
When one is renamed, this fails naming it, and the scenarios without
internals show what the fallback still does."
  (require 'eglot)
  (require 'lsp-mode)
  (dolist (use ghostwright--private-uses)
    (unless (eq (car use) 'eglot-uri)     ; `eglot-path-to-uri' is eglot >= 1.16's
      (unless (apply #'ghostwright--private (cdr use))
        (ert-fail (format "%s: none of %S is defined any more" (car use) (cdr use))))))
  ;; eglot 1.20's name wins over eglot 1.9's.
  (with-temp-buffer
    (setq-local eglot--versioned-identifier 3)
    (should (= 3 (ghostwright--private-value 'eglot--docver 'eglot--versioned-identifier)))
    (let ((ghostwright--shunned-symbols '(eglot--versioned-identifier)))
      (should-not (ghostwright--private-value 'eglot--docver 'eglot--versioned-identifier)))))

;;; lsp-mode, ghostwright as an add-on beside a main server

(defvar gwt-lsp-dir nil "Session directory of lsp-mode in the tests.")

(defun gwt-lsp-setup ()
  "Quiet lsp-mode for batch use and register the clients."
  (require 'lsp-mode)
  (setq gwt-lsp-dir (make-temp-file "gwt-lsp" t)
        lsp-session-file (expand-file-name "session" gwt-lsp-dir)
        lsp-auto-guess-root t
        lsp-guess-root-without-session t
        lsp-enable-file-watchers nil
        lsp-restart 'ignore
        lsp-keep-workspace-alive nil
        lsp-enable-snippet nil
        lsp-modeline-code-actions-enable nil
        lsp-modeline-diagnostics-enable nil
        lsp-headerline-breadcrumb-enable nil
        lsp-lens-enable nil
        lsp-diagnostics-provider :none
        lsp-completion-provider :none
        lsp-enable-on-type-formatting nil
        lsp-enable-symbol-highlighting nil
        lsp-signature-auto-activate nil
        lsp-eldoc-enable-hover nil)
  (ghostwright-lsp-register))

(defun gwt-main-stat (server-id key)
  "KEY of `main/stats' from the lsp-mode workspace SERVER-ID."
  (let ((ws (cl-find-if (lambda (ws) (eq (lsp--client-server-id (lsp--workspace-client ws)) server-id))
                        (lsp-workspaces))))
    (ghostwright--get (let ((lsp--buffer-workspaces (list ws)))
                        (lsp-request "main/stats" nil))
                      key)))

(defun gwt-lsp-requests (server-id)
  "Generations the lsp-mode workspace SERVER-ID has run, from its status."
  (let* ((ws (cl-find-if (lambda (ws) (eq (lsp--client-server-id (lsp--workspace-client ws)) server-id))
                         (lsp-workspaces)))
         (status (let ((lsp--buffer-workspaces (list ws)))
                   (lsp-request "ghostwright/status" nil))))
    (ghostwright--get (seq-elt (ghostwright--get status :backends) 0) :requests)))

(defmacro gwt-with-lsp-ghostwright (&rest body)
  "Run BODY in a Python buffer where lsp-mode runs ghostwright beside a main server.
The main server also advertises inline completion, so requests must be
scoped to the add-on's workspace."
  (declare (indent 0))
  `(progn
     (gwt-lsp-setup)
     (lsp-register-client
      (make-lsp-client :new-connection (lsp-stdio-connection (lambda () gwt-main-server))
                       :major-modes '(python-mode)
                       :server-id 'gwt-main
                       :priority 10))
     (let ((ghostwright-transport 'auto))
       (gwt-with-python-file
         (ghostwright-mode 1)
         (lsp)
         (gwt-wait (lambda () (and (ghostwright--lsp-workspace)
                                   (= 2 (length (lsp-workspaces)))
                                   (cl-every (lambda (ws) (eq (lsp--workspace-status ws) 'initialized))
                                             (lsp-workspaces))))
                   30 "both lsp-mode servers")
         (let ((workspace (ghostwright--lsp-workspace)))
           (unwind-protect
               (progn ,@body)
             (lsp-workspace-shutdown workspace)))))))

(ert-deftest ghostwright-lsp-mode-add-on-beside-a-main-server ()
  "lsp-mode: ghostwright runs as an add-on beside the buffer's main server."
  (gwt-with-lsp-ghostwright
    (should (memq 'gwt-main (mapcar (lambda (ws) (lsp--client-server-id (lsp--workspace-client ws)))
                                    (lsp-workspaces))))
    (gwt-scenario 'lsp)
    ;; Only ghostwright's workspace was asked to complete.
    (should (= 0 (gwt-main-stat 'gwt-main :inlineCompletion)))
    (should (> (gwt-main-stat 'gwt-main :didChange) 0))
    ;; ghostwright's own workspace generated the text (the server may serve the
    ;; scenario's second request from the first generation: typed-ahead reuse).
    (gwt-wait (lambda () (>= (gwt-lsp-requests 'ghostwright) 1)) 10
              "ghostwright to count its generation")))

(ert-deftest ghostwright-lsp-mode-without-its-internals ()
  "lsp-mode with every internal the client reads renamed away: it still streams."
  (gwt-with-lsp-ghostwright
    (let ((ghostwright--shunned-symbols
           ;; Without lsp--buffer-workspaces the request goes to every server that offers it.
           (remq 'lsp--buffer-workspaces gwt-all-private-symbols)))
      (gwt-scenario 'lsp))))

(ert-deftest ghostwright-lsp-mode-positions-after-emoji-and-cjk ()
  "lsp-mode (which counts characters): after emoji and CJK the server's copy equals the buffer."
  (gwt-with-lsp-ghostwright
    (gwt-type-after-wide-characters)
    (let ((answer (ghostwright--with-lsp-workspace (ghostwright--lsp-workspace)
                    (lsp-request "ghostwright/documentText"
                                 (list :textDocument (lsp--text-document-identifier))))))
      (should (equal (ghostwright--get answer :text) (buffer-string))))))

(ert-deftest ghostwright-standalone-transport-beside-lsp-mode ()
  "`ghostwright-transport' `standalone' uses the own connection where lsp-mode runs ghostwright.
The one choice of transport answers both the request and the mode line."
  (gwt-with-lsp-ghostwright
    (should (eq (car (ghostwright--transport)) 'lsp))
    (should (equal (ghostwright--current-transport) (ghostwright--transport)))
    (let ((ghostwright-transport 'standalone))
      (should-not (ghostwright--current-transport))
      (should (eq (car (ghostwright--transport)) 'standalone))
      (should (equal (ghostwright--current-transport) (ghostwright--transport)))
      (let ((requests gwt-requests))
        (ghostwright-complete)
        (should (= gwt-requests (1+ requests)))
        (should (eq (car (plist-get ghostwright--pending :transport)) 'standalone))
        (ghostwright-dismiss)))))

(provide 'ghostwright-test)
;;; ghostwright-test.el ends here

;;; Candidates (a deterministic stand-in server: the subject is the editor)

(defvar gwt-candidates-server
  (list (expand-file-name "python" (file-name-directory gwt-server))
        (expand-file-name "candidates_server.py"
                          (file-name-directory (or load-file-name buffer-file-name))))
  "Command of the stand-in that offers a second candidate.")

(ert-deftest ghostwright-next-asks-for-a-second-candidate ()
  "With one candidate, M-n asks the server for another and shows it as 2/2; M-p goes back."
  (let ((ghostwright-transport 'standalone)
        (ghostwright-server-command gwt-candidates-server)
        ;; The stand-in's own connection: the real server's, and what it agreed, stay as they are.
        (ghostwright--connection nil)
        (ghostwright--connect-error nil)
        (ghostwright--encoding ghostwright--encoding)
        said)
    (unwind-protect
        (with-temp-buffer
          (python-mode)
          (ghostwright-mode 1)
          (insert "x = ")
          (ghostwright-complete)
          (gwt-wait (lambda () (equal (gwt-ghost) "first_answer()")) 30 "the first candidate")
          (cl-letf (((symbol-function 'message)
                     (lambda (fmt &rest args) (when fmt (setq said (apply #'format fmt args))))))
            (let ((requests gwt-requests))
              (gwt-command #'ghostwright-next)
              (should (= gwt-requests (1+ requests)))
              (gwt-wait (lambda () (equal (gwt-ghost) "second_answer()")) 30 "the second candidate")
              (should (equal said "ghostwright: 2/2"))
              (gwt-command #'ghostwright-previous)
              (should (equal (gwt-ghost) "first_answer()"))
              (should (equal said "ghostwright: 1/2"))
              ;; Two candidates now: M-n cycles without asking again.
              (gwt-command #'ghostwright-next)
              (should (equal (gwt-ghost) "second_answer()"))
              (should (equal said "ghostwright: 2/2"))
              (should (= gwt-requests (1+ requests)))))
          (gwt-command #'ghostwright-accept)
          (should (equal (buffer-string) "x = second_answer()"))
          (ghostwright-mode -1))
      ;; Without cleanup: the stderr buffer is the real server's too, and killing it would
      ;; break that server's stderr pipe.
      (when ghostwright--connection
        (jsonrpc-shutdown ghostwright--connection)))))
