;;; ghostwright.el --- Streaming ghost-text completion from a local model -*- lexical-binding: t; -*-

;; Copyright (C) 2026 The ghostwright authors

;; Author: The ghostwright authors
;; Version: 0.1.0
;; Package-Requires: ((emacs "28.1") (jsonrpc "1.0.14"))
;; Keywords: convenience, languages, tools
;; URL: https://github.com/ghostwright/ghostwright

;; This file is not part of GNU Emacs.

;; Licensed under the Apache License, Version 2.0.

;;; Commentary:

;; Shows the completions of the ghostwright language server as ghost
;; text after point, growing while the model writes.  One UI over
;; three transports:
;;
;; - eglot, when ghostwright is the buffer's eglot server;
;; - lsp-mode, where ghostwright runs as an add-on client beside the
;;   main language server (see `ghostwright-lsp-register');
;; - its own jsonrpc.el connection with its own document sync, for
;;   buffers whose eglot server is another one, or with no LSP client.
;;
;; Turn it on with `ghostwright-mode' or `global-ghostwright-mode'.
;; While ghost text shows, `ghostwright-active-map' is active: TAB
;; accepts, M-f accepts a word, C-e a line, M-n/M-p cycle and C-g
;; dismisses.  Typing the characters the ghost text shows consumes
;; them; any other edit or motion clears it.

;;; Code:

(require 'cl-lib)
(require 'jsonrpc)
(require 'seq)
(require 'subr-x)
(require 'url-util)

(defvar eglot-server-programs)
(defvar lsp-inline-completion-enable)
(defvar evil-state)
(declare-function eglot-current-server "ext:eglot")
(declare-function eglot--server-info "ext:eglot")
(declare-function eglot--signal-textDocument/didChange "ext:eglot")
(declare-function eglot--TextDocumentIdentifier "ext:eglot")
(declare-function eglot--pos-to-lsp-position "ext:eglot")
(declare-function lsp-workspaces "ext:lsp-mode")
(declare-function lsp-request-async "ext:lsp-mode")
(declare-function lsp-cancel-request-by-token "ext:lsp-mode")
(declare-function lsp-notify "ext:lsp-mode")
(declare-function lsp--text-document-identifier "ext:lsp-mode")
(declare-function lsp--cur-position "ext:lsp-mode")
(declare-function lsp--workspace-client "ext:lsp-mode")
(declare-function lsp--client-server-id "ext:lsp-mode")
(declare-function lsp--workspace-status "ext:lsp-mode")
(declare-function lsp-register-client "ext:lsp-mode")
(declare-function lsp-stdio-connection "ext:lsp-mode")
(declare-function make-lsp-client "ext:lsp-mode")
(declare-function ht "ext:ht")
(defvar lsp--cur-version)
(defvar lsp--buffer-workspaces)

;;; Customization

(defgroup ghostwright nil
  "Streaming ghost-text completion from a local model."
  :group 'tools
  :prefix "ghostwright-")

(defcustom ghostwright-server-command '("ghostwright" "serve")
  "Program and arguments that start the ghostwright language server."
  :type '(repeat string))

(defcustom ghostwright-initialization-options nil
  "Plist sent to the server as LSP `initializationOptions'.
Keys are camelCase as on the wire, for example
\(:completion (:debounceMs 150 :maxTokens 64))."
  :type 'plist)

(defcustom ghostwright-idle-delay 0.05
  "Seconds of idle time after an edit before completion is requested.
The server adds its own `completion.debounceMs' to automatic
requests, and each new request cancels the previous one, so this
can stay small."
  :type 'number)

(defcustom ghostwright-disable-predicates
  (list #'minibufferp #'ghostwright--read-only-p #'ghostwright--evil-normal-p)
  "Functions of no argument; when any returns non-nil, no automatic request."
  :type '(repeat function))

(defcustom ghostwright-transport 'auto
  "How to reach the server.
`auto' uses eglot's connection when ghostwright is the buffer's
eglot server, lsp-mode's ghostwright workspace when the buffer has
one (and waits for it while lsp-mode starts it), and otherwise
ghostwright's own connection.  `eglot' and `lsp' use only that
client and ask nothing until it is connected; `standalone' always
uses the own connection."
  :type '(choice (const auto) (const eglot) (const lsp) (const standalone)))

(defcustom ghostwright-request-timeout 60
  "Seconds after which an unanswered completion request is dropped."
  :type 'number)

(defcustom ghostwright-show-functions nil
  "Abnormal hook run with the ghost text each time it changes.
Each function gets the text now shown (a string) and whether it
is final (non-nil when the server has answered)."
  :type 'hook)

(defface ghostwright-ghost-face '((t :inherit shadow))
  "Face of the ghost text.")

(defvar ghostwright-active-map
  (let ((map (make-sparse-keymap)))
    (define-key map (kbd "TAB") #'ghostwright-accept)
    (define-key map (kbd "<tab>") #'ghostwright-accept)
    (define-key map (kbd "M-f") #'ghostwright-accept-word)
    (define-key map (kbd "C-e") #'ghostwright-accept-line)
    (define-key map (kbd "M-n") #'ghostwright-next)
    (define-key map (kbd "M-p") #'ghostwright-previous)
    (define-key map (kbd "C-g") #'ghostwright-dismiss)
    map)
  "Keymap active only while ghost text shows.")

(defvar ghostwright-mode-map (make-sparse-keymap)
  "Keymap of `ghostwright-mode'.")

;;; Buffer state

(defvar-local ghostwright--overlay nil "Overlay showing the ghost text.")
(defvar-local ghostwright--showing nil
  "Non-nil while ghost text shows: enables `ghostwright-active-map'.")
(defvar-local ghostwright--items nil "Completion texts of the last answer.")
(defvar-local ghostwright--index 0 "Index of the shown item in `ghostwright--items'.")
(defvar-local ghostwright--typed ""
  "Text typed or accepted since the request; hidden from the ghost text.")
(defvar-local ghostwright--pending nil
  "Plist of the request in flight.
Keys: :transport :handle :uri :version :line :character :time.")
(defvar-local ghostwright--state 'idle "One of `idle', `thinking', `streaming'.")
(defvar-local ghostwright--latency nil "Milliseconds from request to answer, last time.")
(defvar-local ghostwright--pre-command nil "Point and buffer size before the command.")
(defvar-local ghostwright--last-tick nil "Modification tick after the last command.")

(defvar ghostwright--emulation-alist `((ghostwright--showing . ,ghostwright-active-map))
  "Makes `ghostwright-active-map' win over other minor modes while text shows.")

(defvar ghostwright--connection nil "The own connection to the server, if started.")
(defvar-local ghostwright--version 0 "Version of the document on the own connection.")
(defvar-local ghostwright--opened nil "Non-nil when the own connection has the document open.")
(defvar-local ghostwright--before-change nil "Region and LSP range of the coming change.")
(defvar ghostwright--encoding "utf-16" "Position encoding agreed with the own connection.")
(defvar ghostwright--idle-timer nil "Timer of the next automatic request.")
(defvar ghostwright--uri-buffers (make-hash-table :test #'equal)
  "Buffer of each document URI with a request in flight.")
(defvar ghostwright--status-cache (make-hash-table :test #'eq)
  "Last `ghostwright/status' answer per connection object.")

;;; Small helpers

(defun ghostwright--get (object key)
  "Value of KEY (a keyword) in OBJECT, a plist or a string-keyed hash table."
  (cond ((hash-table-p object) (gethash (substring (symbol-name key) 1) object))
        ((listp object) (plist-get object key))))

(defun ghostwright--get-in (object &rest keys)
  "Follow KEYS down OBJECT with `ghostwright--get'."
  (dolist (key keys object)
    (setq object (ghostwright--get object key))))

(defun ghostwright--read-only-p ()
  "Non-nil when the buffer is read-only."
  buffer-read-only)

(defun ghostwright--evil-normal-p ()
  "Non-nil in an evil state other than insert or Emacs state."
  (and (boundp 'evil-state) evil-state
       (not (memq evil-state '(insert emacs replace)))))

(defun ghostwright--disabled-p ()
  "Return non-nil when a predicate of `ghostwright-disable-predicates' is true."
  (cl-some #'funcall ghostwright-disable-predicates))

(defun ghostwright--language-id ()
  "LSP language identifier of the buffer."
  (let ((name (string-remove-suffix "-mode" (symbol-name major-mode))))
    (setq name (string-remove-suffix "-ts" name))
    (pcase name
      ("emacs-lisp" "elisp") ("js" "javascript") ("c++" "cpp")
      ("sh" "shellscript") ("typescript-tsx" "typescriptreact")
      (_ name))))

(defun ghostwright--uri ()
  "URI of the buffer's document for the own connection."
  (if buffer-file-name
      (concat "file://"
              (url-hexify-string (expand-file-name buffer-file-name)
                                 (url--allowed-chars (cons ?/ url-unreserved-chars))))
    (concat "untitled:" (url-hexify-string (buffer-name)))))

;;; Transports

;; A transport is a list (KIND . OBJECT): (standalone . CONNECTION),
;; (eglot . SERVER) or (lsp . WORKSPACE).  Each knows how to flush the
;; document, describe positions, send and cancel a request.

(defun ghostwright--eglot-server ()
  "The buffer's eglot server when it is ghostwright, else nil."
  (when (fboundp 'eglot-current-server)
    (let ((server (eglot-current-server)))
      (when (and server
                 (equal (plist-get (eglot--server-info server) :name) "ghostwright"))
        server))))

(defun ghostwright--lsp-workspace ()
  "The buffer's lsp-mode workspace of ghostwright, else nil."
  (when (and (bound-and-true-p lsp-mode) (fboundp 'lsp-workspaces))
    (cl-find-if (lambda (ws)
                  (and (eq (lsp--client-server-id (lsp--workspace-client ws)) 'ghostwright)
                       ;; Asked before `initialized', a server may not know the document.
                       (eq (lsp--workspace-status ws) 'initialized)))
                (lsp-workspaces))))

(defvar ghostwright--lsp-registered nil
  "Non-nil once `ghostwright-lsp-register' has run.")

(defun ghostwright--transport (&optional retry)
  "The transport that serves the current buffer, connecting if needed.
Return nil while the LSP client that should serve it is not ready.
RETRY starts the own connection's server again after a failed start."
  (let ((mode ghostwright-transport))
    (cond ((and (memq mode '(auto eglot)) (ghostwright--eglot-server))
           (cons 'eglot (ghostwright--eglot-server)))
          ((and (memq mode '(auto lsp)) (ghostwright--lsp-workspace))
           (cons 'lsp (ghostwright--lsp-workspace)))
          ((memq mode '(eglot lsp)) nil)
          ;; lsp-mode is starting ghostwright for this buffer: do not start a second server.
          ((and ghostwright--lsp-registered (bound-and-true-p lsp-mode)) nil)
          (t (ghostwright--standalone-open retry)
             (cons 'standalone ghostwright--opened)))))

(defun ghostwright--document-params (transport)
  "Plist of :uri :version :position for point over TRANSPORT, after a flush."
  (pcase (car transport)
    ('eglot
     (eglot--signal-textDocument/didChange)
     (list :uri (plist-get (eglot--TextDocumentIdentifier) :uri)
           :version (bound-and-true-p eglot--versioned-identifier)
           :position (eglot--pos-to-lsp-position)))
    ('lsp
     (list :uri (plist-get (lsp--text-document-identifier) :uri)
           :version lsp--cur-version
           :position (lsp--cur-position)))
    (_ (list :uri (ghostwright--uri)
             :version ghostwright--version
             :position (ghostwright--position (point))))))

(defun ghostwright--send (transport params on-result on-error &optional method)
  "Send inline-completion PARAMS over TRANSPORT; return a cancel handle.
ON-RESULT gets the result, ON-ERROR a message.  METHOD, a string, names
another request than textDocument/inlineCompletion."
  (setq method (or method "textDocument/inlineCompletion"))
  (pcase (car transport)
    ('lsp
     (let ((token (format "ghostwright-%s" (buffer-name))))
       (let ((lsp--buffer-workspaces (list (cdr transport))))
         (lsp-request-async method params on-result
                            :mode 'detached :cancel-token token
                            :error-handler (lambda (err) (funcall on-error (format "%S" err)))))
       token))
    (_
     (let ((args (list (cdr transport) (intern (concat ":" method)) params
                       :success-fn on-result
                       :error-fn (lambda (err) (funcall on-error (or (plist-get err :message)
                                                                    (format "%S" err))))
                       :timeout ghostwright-request-timeout
                       :timeout-fn (lambda () (funcall on-error "timed out")))))
       ;; The internal function returns the request id that `$/cancelRequest' needs;
       ;; the public one returns nil in jsonrpc 1.0.14.
       (if (fboundp 'jsonrpc--async-request-1)
           (car (apply #'jsonrpc--async-request-1 args))
         (apply #'jsonrpc-async-request args))))))

(defun ghostwright--cancel-handle (transport handle)
  "Ask TRANSPORT's server to stop the request HANDLE."
  (when handle
    (pcase (car transport)
      ('lsp (lsp-cancel-request-by-token handle))
      (_ (let ((conn (cdr transport)))
           (when (jsonrpc-running-p conn)
             (jsonrpc-notify conn :$/cancelRequest (list :id handle))))))))

(defun ghostwright--fetch-status (transport &optional then)
  "Ask TRANSPORT's server for `ghostwright/status' and cache the answer.
THEN, when given, is called with the answer."
  (let ((key (cdr transport))
        (store (lambda (result) (puthash (cdr transport) result ghostwright--status-cache)
                 (force-mode-line-update t)
                 (when then (funcall then result)))))
    (pcase (car transport)
      ('lsp (let ((lsp--buffer-workspaces (list key)))
              (lsp-request-async "ghostwright/status" nil store :mode 'detached)))
      (_ (when (jsonrpc-running-p key)
           (jsonrpc-async-request key :ghostwright/status nil :success-fn store
                                  :error-fn #'ignore :timeout-fn #'ignore))))))

;;; The own connection (jsonrpc.el) and its document sync


(defun ghostwright--position (pos)
  "LSP position plist of POS in the agreed encoding."
  (save-excursion
    (save-restriction
      (widen)
      (goto-char pos)
      (let ((bol (line-beginning-position)))
        (list :line (1- (line-number-at-pos pos t))
              :character (if (equal ghostwright--encoding "utf-32")
                             (- pos bol)
                           (/ (- (length (encode-coding-region bol pos 'utf-16 t)) 2) 2)))))))

(defvar ghostwright--connect-error nil
  "Why the own connection could not start; automatic requests wait for a retry.")

(defun ghostwright--connection (&optional retry)
  "The own connection, started and initialized on first use.
After a failed start, only RETRY (an explicit request) tries again, so
that a missing server is reported once rather than at every pause."
  (unless (and ghostwright--connection (jsonrpc-running-p ghostwright--connection))
    (when (and ghostwright--connect-error (not retry))
      (user-error "%s" ghostwright--connect-error))
    (setq ghostwright--connection nil)
    (condition-case err
        (setq ghostwright--connection (ghostwright--connect)
              ghostwright--connect-error nil)
      (error
       (setq ghostwright--connect-error
             (format "cannot start %s (%s): see `ghostwright-server-command', then M-x ghostwright-complete"
                     (string-join ghostwright-server-command " ") (error-message-string err)))
       (message "ghostwright: %s" ghostwright--connect-error)
       (user-error "%s" ghostwright--connect-error))))
  ghostwright--connection)

(defun ghostwright--connect ()
  "Start the server and initialize it; return the connection."
  (unless (executable-find (car ghostwright-server-command))
    ;; Checked first: a pipe to a program that failed to start can kill Emacs with SIGPIPE.
    (error "No program %s found" (car ghostwright-server-command)))
  (let* ((proc (make-process :name "ghostwright" :command ghostwright-server-command
                             :connection-type 'pipe :coding 'utf-8-emacs-unix :noquery t
                             :stderr (get-buffer-create "*ghostwright stderr*")))
         (conn (jsonrpc-process-connection
                :name "ghostwright" :process proc
                :notification-dispatcher #'ghostwright--on-notification
                :request-dispatcher #'ghostwright--on-request
                :on-shutdown (lambda (_) (setq ghostwright--connection nil))))
         (answer (jsonrpc-request
                  conn :initialize
                  (list :processId (emacs-pid)
                        :clientInfo (list :name "ghostwright.el" :version "0.1.0")
                        :rootUri nil
                        :capabilities
                        (list :general (list :positionEncodings ["utf-32" "utf-16"])
                              :window (list :workDoneProgress t)
                              :textDocument (list :inlineCompletion (list :dynamicRegistration :json-false)))
                        :initializationOptions (or ghostwright-initialization-options
                                                   (make-hash-table))))))
    (setq ghostwright--encoding
          (or (ghostwright--get-in answer :capabilities :positionEncoding) "utf-16"))
    (jsonrpc-notify conn :initialized (make-hash-table))
    conn))

(defun ghostwright--on-request (_conn method _params)
  "Answer the server's request METHOD on the own connection."
  (pcase method
    ('window/workDoneProgress/create nil)
    ('workspace/configuration [])
    (_ (signal 'jsonrpc-error `((jsonrpc-error-code . -32601)
                                (jsonrpc-error-message . ,(format "%s not handled" method)))))))

(defun ghostwright--on-notification (_conn method params)
  "Handle the server's notification METHOD with PARAMS on the own connection."
  (pcase method
    ('ghostwright/partialCompletion (ghostwright--on-partial params))
    ('window/showMessage (message "%s" (plist-get params :message)))))

(defun ghostwright--standalone-open (&optional retry)
  "Open the buffer's document on the own connection unless it is.
RETRY starts the server again after a failed start."
  (unless (and ghostwright--opened (jsonrpc-running-p ghostwright--opened))
    (let ((conn (ghostwright--connection retry)))
      (setq ghostwright--version 1 ghostwright--opened conn)
      (save-restriction
        (widen)
        (jsonrpc-notify conn :textDocument/didOpen
                        (list :textDocument
                              (list :uri (ghostwright--uri)
                                    :languageId (ghostwright--language-id)
                                    :version ghostwright--version
                                    :text (buffer-substring-no-properties (point-min) (point-max)))))))))

(defun ghostwright--standalone-close ()
  "Close the buffer's document on the own connection."
  (when (and ghostwright--opened (jsonrpc-running-p ghostwright--opened))
    (jsonrpc-notify ghostwright--opened :textDocument/didClose
                    (list :textDocument (list :uri (ghostwright--uri)))))
  (setq ghostwright--opened nil))

(defun ghostwright--before-change (beg end)
  "Remember the LSP range of BEG..END, about to change."
  (when ghostwright--opened
    (setq ghostwright--before-change
          (list beg end (ghostwright--position beg) (ghostwright--position end)))))

(defun ghostwright--after-change (beg end old-length)
  "Send the change of BEG..END (OLD-LENGTH before) as an incremental didChange."
  (when (and ghostwright--opened (jsonrpc-running-p ghostwright--opened))
    (cl-incf ghostwright--version)
    (let* ((before ghostwright--before-change)
           (change
            (if (and before (= (nth 0 before) beg) (= (- (nth 1 before) (nth 0 before)) old-length))
                (list :range (list :start (nth 2 before) :end (nth 3 before))
                      :text (buffer-substring-no-properties beg end))
              ;; The hooks disagree (rare): send the whole text.
              (save-restriction
                (widen)
                (list :text (buffer-substring-no-properties (point-min) (point-max)))))))
      (setq ghostwright--before-change nil)
      (jsonrpc-notify ghostwright--opened :textDocument/didChange
                      (list :textDocument (list :uri (ghostwright--uri) :version ghostwright--version)
                            :contentChanges (vector change))))))

(defun ghostwright-shutdown ()
  "Stop the server of the own connection."
  (interactive)
  (when ghostwright--connection
    (let ((conn ghostwright--connection))
      (setq ghostwright--connection nil)
      (ignore-errors (jsonrpc-request conn :shutdown nil :timeout 5))
      (ignore-errors (jsonrpc-notify conn :exit nil))
      (ignore-errors (jsonrpc-shutdown conn t)))))

;;; Requests, partials and answers

(defun ghostwright--request (kind)
  "Ask for a completion at point; KIND is 1 (invoked) or 2 (automatic)."
  (ghostwright-dismiss)
  (if-let ((transport (ghostwright--transport (= kind 1))))
      (ghostwright--request-over transport kind)
    (when (= kind 1)
      (message "ghostwright: the server is not connected to this buffer yet"))))

(defun ghostwright--request-over (transport kind)
  "Ask TRANSPORT for a completion at point with trigger KIND."
  (let* ((doc (ghostwright--document-params transport))
         (position (plist-get doc :position))
         (buffer (current-buffer))
         (pending (list :transport transport :uri (plist-get doc :uri)
                        :version (plist-get doc :version)
                        :line (plist-get position :line)
                        :character (plist-get position :character)
                        :time (float-time))))
    (setq ghostwright--typed ""
          ghostwright--pending pending
          ghostwright--state 'thinking)
    (puthash (plist-get doc :uri) buffer ghostwright--uri-buffers)
    (plist-put pending :handle
               (ghostwright--send
                transport
                (list :textDocument (list :uri (plist-get doc :uri))
                      :position position
                      :context (list :triggerKind kind))
                (lambda (result) (ghostwright--on-result buffer pending result))
                (lambda (msg) (ghostwright--on-error buffer pending msg))))
    (force-mode-line-update)))

(defun ghostwright--matches-pending-p (params)
  "Non-nil when partial PARAMS belong to the pending request of its buffer."
  (let ((p ghostwright--pending))
    (and p
         (equal (ghostwright--get-in params :textDocument :uri) (plist-get p :uri))
         (equal (ghostwright--get-in params :textDocument :version) (plist-get p :version))
         (equal (ghostwright--get-in params :position :line) (plist-get p :line))
         (equal (ghostwright--get-in params :position :character) (plist-get p :character)))))

(defun ghostwright--on-partial (params)
  "Grow the ghost text from the partial completion PARAMS; drop it when stale."
  (let ((buffer (gethash (ghostwright--get-in params :textDocument :uri) ghostwright--uri-buffers)))
    (when (buffer-live-p buffer)
      (with-current-buffer buffer
        (when (ghostwright--matches-pending-p params)
          (setq ghostwright--state 'streaming)
          (ghostwright--display (list (ghostwright--get params :text)) nil))))))

(defun ghostwright--on-result (buffer pending result)
  "Show the final RESULT of PENDING in BUFFER."
  (when (buffer-live-p buffer)
    (with-current-buffer buffer
      (when (eq pending ghostwright--pending)
        (setq ghostwright--pending nil
              ghostwright--state 'idle
              ghostwright--latency (round (* 1000 (- (float-time) (plist-get pending :time)))))
        (ghostwright--fetch-status (plist-get pending :transport))
        (let ((texts (ghostwright--item-texts result pending)))
          (if texts
              (ghostwright--display texts t)
            (ghostwright--clear)))
        (force-mode-line-update)))))

(defun ghostwright--on-error (buffer pending msg)
  "Forget PENDING in BUFFER after the error MSG."
  (when (buffer-live-p buffer)
    (with-current-buffer buffer
      (when (eq pending ghostwright--pending)
        (setq ghostwright--pending nil ghostwright--state 'idle)
        (unless (string-match-p "cancel" msg)
          (message "ghostwright: %s" msg))
        (force-mode-line-update)))))

(defun ghostwright--item-texts (result pending)
  "Texts of the items in RESULT that insert at PENDING's position.
Items that would replace text before or after point are left out:
ghost text only ever inserts."
  (let ((items (if (or (vectorp result) (and (listp result) (not (keywordp (car-safe result)))))
                   result
                 (ghostwright--get result :items)))
        texts)
    (seq-doseq (item items)
      (let ((text (ghostwright--get item :insertText))
            (range (ghostwright--get item :range)))
        (unless (stringp text) (setq text (ghostwright--get text :value)))
        (when (and (stringp text) (not (string-empty-p text))
                   (or (null range)
                       (cl-every (lambda (end)
                                   (and (equal (ghostwright--get-in range end :line) (plist-get pending :line))
                                        (equal (ghostwright--get-in range end :character)
                                               (plist-get pending :character))))
                                 '(:start :end))))
          (push text texts))))
    (nreverse texts)))

;;; Ghost text

(defun ghostwright--remaining ()
  "The shown item without what was typed through, or nil when they diverge."
  (let ((text (nth ghostwright--index ghostwright--items)))
    (when (and text (string-prefix-p ghostwright--typed text))
      (substring text (length ghostwright--typed)))))

(defun ghostwright--display (texts final)
  "Show TEXTS (a list of completions) as ghost text; FINAL when answered."
  (setq ghostwright--items texts
        ghostwright--index (min ghostwright--index (1- (length texts))))
  (let ((remaining (ghostwright--remaining)))
    (cond ((null remaining) (ghostwright-dismiss))
          ((and final (string-empty-p remaining)) (ghostwright--clear))
          (t (ghostwright--show remaining final)))))

(defun ghostwright--show (text final)
  "Draw TEXT after point; FINAL is passed to `ghostwright-show-functions'."
  (unless ghostwright--overlay
    (setq ghostwright--overlay (make-overlay (point) (point) nil nil t))
    (overlay-put ghostwright--overlay 'priority 100))
  (let ((ov ghostwright--overlay)
        (shown (propertize text 'face 'ghostwright-ghost-face)))
    (overlay-put ov 'after-string nil)
    (overlay-put ov 'display nil)
    (cond ((string-empty-p text) (move-overlay ov (point) (point)))
          ((eolp)
           ;; Nothing follows on the line: an after-string at point, the cursor on its
           ;; first character.
           (move-overlay ov (point) (point))
           (put-text-property 0 1 'cursor t shown)
           (overlay-put ov 'after-string shown))
          (t
           ;; Mid-line the cursor would sit on the character after point, behind an
           ;; after-string; so the overlay covers that character and displays the
           ;; ghost text followed by it, with the cursor at the start of the ghost text.
           (move-overlay ov (point) (1+ (point)))
           (put-text-property 0 1 'cursor t shown)
           (overlay-put ov 'display (concat shown (buffer-substring (point) (1+ (point))))))))
  (setq ghostwright--showing (not (string-empty-p text)))
  (run-hook-with-args 'ghostwright-show-functions text final))

(defun ghostwright--clear ()
  "Remove the ghost text and forget the items."
  (when ghostwright--overlay
    (delete-overlay ghostwright--overlay)
    (setq ghostwright--overlay nil))
  (setq ghostwright--showing nil
        ghostwright--items nil
        ghostwright--index 0
        ghostwright--typed ""))

(defun ghostwright--cancel ()
  "Cancel the request in flight, if any."
  (when-let ((pending ghostwright--pending))
    (setq ghostwright--pending nil ghostwright--state 'idle)
    (ghostwright--cancel-handle (plist-get pending :transport) (plist-get pending :handle))
    (force-mode-line-update)))

(defun ghostwright--consume (text)
  "Insert TEXT at point as the start of the ghost text, one undo step."
  (let ((group (prepare-change-group)))
    (activate-change-group group)
    (unwind-protect
        (insert text)
      (undo-amalgamate-change-group group)
      (accept-change-group group)))
  (setq ghostwright--typed (concat ghostwright--typed text)))

(defun ghostwright--accept-part (take)
  "Accept the part of the ghost text chosen by TAKE, a function of it."
  (let ((remaining (ghostwright--remaining)))
    (when (and ghostwright--showing remaining)
      (let ((part (funcall take remaining)))
        (ghostwright--consume part)
        (if (and (null ghostwright--pending) (string= part remaining))
            (ghostwright--clear)
          (ghostwright--show (or (ghostwright--remaining) "") (null ghostwright--pending)))))))

;;; Commands

(defun ghostwright-complete ()
  "Ask for a completion at point now."
  (interactive)
  (ghostwright--request 1))

(defun ghostwright-accept ()
  "Insert the whole ghost text."
  (interactive)
  (let ((remaining (ghostwright--remaining)))
    (when (and ghostwright--showing remaining)
      (ghostwright--cancel)
      (ghostwright--consume remaining)
      (ghostwright--clear))))

(defun ghostwright-accept-word ()
  "Insert the next word of the ghost text."
  (interactive)
  (ghostwright--accept-part
   (lambda (text)
     (if (string-match "\\`[^[:alnum:]_]*[[:alnum:]_]+" text)
         (match-string 0 text)
       text))))

(defun ghostwright-accept-line ()
  "Insert the ghost text up to the end of its current line."
  (interactive)
  (ghostwright--accept-part
   (lambda (text)
     (if (string-match "\\`\n*[^\n]*" text)
         (match-string 0 text)
       text))))

(defun ghostwright--cycle (step)
  "Show the item STEP places away from the current one."
  (when ghostwright--items
    (setq ghostwright--index (mod (+ ghostwright--index step) (length ghostwright--items)))
    (ghostwright--display ghostwright--items (null ghostwright--pending))
    (message "ghostwright: %d/%d" (1+ ghostwright--index) (length ghostwright--items))))

(defun ghostwright--ask-alternative ()
  "Ask the server for a candidate unlike every one shown, to show next.
The request goes from point, so the candidates are compared without the
part already typed through."
  (when-let ((transport (ghostwright--current-transport)))
    (let* ((doc (ghostwright--document-params transport))
           (position (plist-get doc :position))
           (buffer (current-buffer))
           (typed ghostwright--typed)
           (shown (cl-loop for text in ghostwright--items
                           when (string-prefix-p typed text)
                           collect (substring text (length typed))))
           (pending (list :transport transport :uri (plist-get doc :uri)
                          :version (plist-get doc :version)
                          :line (plist-get position :line)
                          :character (plist-get position :character)
                          :time (float-time))))
      (setq ghostwright--pending pending
            ghostwright--state 'thinking)
      (message "ghostwright: asking for another candidate...")
      (plist-put pending :handle
                 (ghostwright--send
                  transport
                  (list :textDocument (list :uri (plist-get doc :uri))
                        :position position
                        :exclude (vconcat shown))
                  (lambda (result) (ghostwright--on-alternative buffer pending typed result))
                  (lambda (msg) (ghostwright--on-error buffer pending msg))
                  "ghostwright/alternativeCompletion"))
      (force-mode-line-update))))

(defun ghostwright--on-alternative (buffer pending typed result)
  "Add the candidate in RESULT of PENDING to BUFFER's items and show it.
TYPED is what had been typed through when it was asked for."
  (when (buffer-live-p buffer)
    (with-current-buffer buffer
      (when (eq pending ghostwright--pending)
        (setq ghostwright--pending nil
              ghostwright--state 'idle)
        (let ((new (car (ghostwright--item-texts result pending))))
          (if (and new ghostwright--showing (equal typed ghostwright--typed))
              (progn
                (setq ghostwright--items (append ghostwright--items (list (concat typed new)))
                      ghostwright--index (- (length ghostwright--items) 2))
                (ghostwright--cycle 1))
            (message "ghostwright: no other candidate")))
        (force-mode-line-update)))))

(defun ghostwright-next ()
  "Show the next completion.
With only one, ask the server for another, different one."
  (interactive)
  (if (and ghostwright--showing (null ghostwright--pending)
           (= (length ghostwright--items) 1))
      (ghostwright--ask-alternative)
    (ghostwright--cycle 1)))

(defun ghostwright-previous ()
  "Show the previous completion."
  (interactive)
  (ghostwright--cycle -1))

(defun ghostwright-dismiss ()
  "Remove the ghost text and stop the request in flight."
  (interactive)
  (ghostwright--cancel)
  (ghostwright--clear))

(defun ghostwright-status ()
  "Show the server's backend, model, device and counters in the echo area."
  (interactive)
  (if-let ((transport (ghostwright--current-transport)))
      (ghostwright--fetch-status
       transport
       (lambda (status)
         (let ((backend (seq-elt (ghostwright--get status :backends) 0)))
           (message "ghostwright %s: %s %s on %s, %s requests, %s cancelled%s"
                    (ghostwright--get status :version)
                    (ghostwright--get backend :backend) (ghostwright--get backend :model)
                    (ghostwright--get backend :device) (ghostwright--get backend :requests)
                    (ghostwright--get backend :cancellations)
                    (if-let ((err (ghostwright--get status :backendError)))
                        (format " (error: %s)" err)
                      "")))))
    (message "ghostwright: no server serves this buffer yet")))

;;; Command loop: typing through, dismissing, automatic trigger

(defconst ghostwright--own-commands
  '(ghostwright-accept ghostwright-accept-word ghostwright-accept-line
    ghostwright-next ghostwright-previous ghostwright-complete ghostwright-status)
  "Commands that keep the ghost text.")

(defun ghostwright--pre-command ()
  "Remember point and size before the command."
  (setq ghostwright--pre-command (cons (point) (buffer-size))))

(defun ghostwright--post-command ()
  "Consume typed-through text, clear on anything else, schedule a request."
  (unless (memq this-command ghostwright--own-commands)
    (when (or ghostwright--showing ghostwright--pending)
      (unless (ghostwright--typed-through-p)
        (ghostwright-dismiss)))
    (when (and (not (eql ghostwright--last-tick (buffer-chars-modified-tick)))
               (not ghostwright--showing) (not ghostwright--pending))
      (ghostwright--schedule)))
  (setq ghostwright--last-tick (buffer-chars-modified-tick)))

(defun ghostwright--typed-through-p ()
  "Consume the character just typed if the ghost text begins with it."
  (let ((before ghostwright--pre-command)
        (remaining (ghostwright--remaining)))
    (when (and before remaining (not (string-empty-p remaining))
               (= (point) (1+ (car before)))
               (= (buffer-size) (1+ (cdr before)))
               (eq (char-before) (aref remaining 0)))
      (setq ghostwright--typed (concat ghostwright--typed (string (char-before))))
      (if (and (= (length remaining) 1) (null ghostwright--pending))
          (ghostwright--clear)
        (ghostwright--show (substring remaining 1) (null ghostwright--pending)))
      t)))

(defun ghostwright--schedule ()
  "Request a completion after `ghostwright-idle-delay' of idle time."
  (when (timerp ghostwright--idle-timer)
    (cancel-timer ghostwright--idle-timer))
  (unless (ghostwright--disabled-p)
    (setq ghostwright--idle-timer
          (run-with-idle-timer ghostwright-idle-delay nil #'ghostwright--on-idle
                               (current-buffer) (point) (buffer-chars-modified-tick)))))

(defun ghostwright--on-idle (buffer pos tick)
  "Request in BUFFER when point is still POS and the text still at TICK."
  (setq ghostwright--idle-timer nil)
  (when (and (eq buffer (current-buffer)) (buffer-live-p buffer)
             (bound-and-true-p ghostwright-mode))
    (when (and (= pos (point)) (= tick (buffer-chars-modified-tick))
               (not ghostwright--showing) (not ghostwright--pending)
               (not (ghostwright--disabled-p)))
      ;; A failed start was reported once already; the user retries explicitly.
      (ignore-error user-error
        (ghostwright--request 2)))))

;;; Mode line

(defun ghostwright--current-transport ()
  "The transport the buffer would use, without connecting."
  (cond ((and (memq ghostwright-transport '(auto eglot)) (ghostwright--eglot-server))
         (cons 'eglot (ghostwright--eglot-server)))
        ((and (memq ghostwright-transport '(auto lsp)) (ghostwright--lsp-workspace))
         (cons 'lsp (ghostwright--lsp-workspace)))
        (ghostwright--opened (cons 'standalone ghostwright--opened))))

(defun ghostwright--describe (status)
  "Backend and device of STATUS, a `ghostwright/status' answer, as a string."
  (let ((backend (and status (seq-elt (ghostwright--get status :backends) 0))))
    (cond (backend (format "%s/%s" (ghostwright--get backend :backend)
                           (downcase (format "%s" (ghostwright--get backend :device)))))
          ((ghostwright--get status :backendError) "error"))))

(defun ghostwright--mode-line ()
  "Mode-line text: backend and device, state, last latency."
  (let* ((transport (ghostwright--current-transport))
         (status (and transport (gethash (cdr transport) ghostwright--status-cache))))
    (concat " GW"
            (when-let ((what (ghostwright--describe status))) (concat "[" what "]"))
            (pcase ghostwright--state
              ('thinking ":…")
              ('streaming ":»")
              (_ (if ghostwright--latency (format ":%dms" ghostwright--latency) ""))))))

;;; Modes

(defvar ghostwright-mode-line '(:eval (ghostwright--mode-line))
  "Mode-line construct of `ghostwright-mode'.")
(put 'ghostwright-mode-line 'risky-local-variable t)

;;;###autoload
(define-minor-mode ghostwright-mode
  "Ghost-text completion from the ghostwright server in this buffer."
  :lighter ghostwright-mode-line
  :keymap ghostwright-mode-map
  (if ghostwright-mode
      (progn
        (add-to-list 'emulation-mode-map-alists 'ghostwright--emulation-alist)
        (add-hook 'pre-command-hook #'ghostwright--pre-command nil t)
        (add-hook 'post-command-hook #'ghostwright--post-command nil t)
        (add-hook 'before-change-functions #'ghostwright--before-change nil t)
        (add-hook 'after-change-functions #'ghostwright--after-change nil t)
        (add-hook 'kill-buffer-hook #'ghostwright--standalone-close nil t)
        (when (boundp 'lsp-inline-completion-enable)
          ;; lsp-mode >= 10 has its own inline UI, which shows no streaming.
          (setq-local lsp-inline-completion-enable nil))
        (setq ghostwright--last-tick (buffer-chars-modified-tick)))
    (ghostwright-dismiss)
    (ghostwright--standalone-close)
    (remove-hook 'pre-command-hook #'ghostwright--pre-command t)
    (remove-hook 'post-command-hook #'ghostwright--post-command t)
    (remove-hook 'before-change-functions #'ghostwright--before-change t)
    (remove-hook 'after-change-functions #'ghostwright--after-change t)
    (remove-hook 'kill-buffer-hook #'ghostwright--standalone-close t)))

(defun ghostwright--turn-on ()
  "Turn on `ghostwright-mode' in buffers that visit files.
Others (*scratch*, REPLs, special buffers) have no document a
server could name, so they are left alone."
  (when (and buffer-file-name (not (minibufferp)))
    (ghostwright-mode 1)))

;;;###autoload
(define-globalized-minor-mode global-ghostwright-mode ghostwright-mode ghostwright--turn-on
  :group 'ghostwright)

;;; eglot

(defun ghostwright-eglot-contact ()
  "Return an `eglot-server-programs' contact for ghostwright."
  (append ghostwright-server-command
          (list :initializationOptions (or ghostwright-initialization-options
                                           (make-hash-table)))))

(with-eval-after-load 'eglot
  (cl-defmethod eglot-handle-notification
    (_server (_method (eql ghostwright/partialCompletion)) &rest params)
    "Grow the ghost text from a partial completion PARAMS."
    (ghostwright--on-partial params)))

;;; lsp-mode

(defun ghostwright--lsp-partial (_workspace params)
  "Grow the ghost text from a partial completion PARAMS sent over lsp-mode."
  (ghostwright--on-partial params))

;;;###autoload
(defun ghostwright-lsp-register ()
  "Register ghostwright with lsp-mode as an add-on client for every mode."
  (require 'lsp-mode)
  (setq ghostwright--lsp-registered t)
  (lsp-register-client
   (make-lsp-client
    :new-connection (lsp-stdio-connection (lambda () ghostwright-server-command))
    :activation-fn (lambda (&rest _) (or (bound-and-true-p ghostwright-mode)
                                         (bound-and-true-p global-ghostwright-mode)))
    :add-on? t
    :priority -1
    :server-id 'ghostwright
    :initialization-options (lambda () (or ghostwright-initialization-options (make-hash-table)))
    :notification-handlers
    (let ((handlers (make-hash-table :test #'equal)))
      (puthash "ghostwright/partialCompletion" #'ghostwright--lsp-partial handlers)
      handlers))))

(provide 'ghostwright)
;;; ghostwright.el ends here
