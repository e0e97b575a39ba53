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
;; accepts (C-u TAB indents), M-<right> accepts a word, M-<end> a
;; line, M-n/M-p cycle and C-g dismisses; no key of everyday editing
;; is taken.  Typing the characters the ghost text shows consumes
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
(declare-function eglot-shutdown "ext:eglot")
(declare-function lsp-workspaces "ext:lsp-mode")
(declare-function lsp-find-workspace "ext:lsp-mode")
(declare-function lsp-request-async "ext:lsp-mode")
(declare-function lsp-cancel-request-by-token "ext:lsp-mode")
(declare-function lsp-workspace-shutdown "ext:lsp-mode")
(declare-function lsp-register-client "ext:lsp-mode")
(declare-function lsp-stdio-connection "ext:lsp-mode")
(declare-function make-lsp-client "ext:lsp-mode")
;; Bound around lsp-mode requests to send them to ghostwright's workspace only.
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
    (define-key map (kbd "M-<right>") #'ghostwright-accept-word)
    (define-key map (kbd "M-<end>") #'ghostwright-accept-line)
    (define-key map (kbd "M-n") #'ghostwright-next)
    (define-key map (kbd "M-p") #'ghostwright-previous)
    (define-key map (kbd "C-g") #'ghostwright-dismiss)
    map)
  "Keymap active only while ghost text shows.
\\<ghostwright-active-map>It holds no key of everyday editing:
`move-end-of-line' and `forward-word' keep their keys.
\\[ghostwright-accept] accepts, and with a prefix argument runs what
the key runs without ghost text (TAB indents).
Rebind with `define-key', for example to accept a line with the key
of `move-end-of-line' while ghost text shows:
  (define-key ghostwright-active-map [remap move-end-of-line]
    #\='ghostwright-accept-line)")

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

(defun ghostwright--uri (&optional truename)
  "URI of the buffer's document for the own connection.
TRUENAME resolves symbolic links first, as eglot does."
  (if buffer-file-name
      (concat "file://"
              (url-hexify-string (funcall (if truename #'file-truename #'expand-file-name)
                                          buffer-file-name)
                                 (url--allowed-chars (cons ?/ url-unreserved-chars))))
    (concat "untitled:" (url-hexify-string (buffer-name)))))

;;; Private symbols of eglot, lsp-mode and jsonrpc

;; These packages rename their internals without notice (eglot 1.20
;; renamed `eglot--versioned-identifier' to `eglot--docver').  Each
;; internal read goes through `ghostwright--private', and each has a
;; fallback of ghostwright's own: none is needed to show partials,
;; which are matched on what the client itself knows (see
;; `ghostwright--matches-pending-p').

(defvar ghostwright--shunned-symbols nil
  "Private symbols treated as absent; tests set it to simulate a rename.")

(defun ghostwright--private (&rest symbols)
  "The first of SYMBOLS that is defined as a function or variable, or nil.
Symbols in `ghostwright--shunned-symbols' count as undefined."
  (cl-find-if (lambda (sym) (and (not (memq sym ghostwright--shunned-symbols))
                                 (or (fboundp sym) (boundp sym))))
              symbols))

(defun ghostwright--private-value (&rest symbols)
  "Value of the first variable of SYMBOLS found by `ghostwright--private'."
  (when-let ((sym (apply #'ghostwright--private symbols)))
    (and (boundp sym) (symbol-value sym))))

(defconst ghostwright--private-uses
  '((eglot-server-name eglot--server-info)
    (eglot-flush eglot--signal-textDocument/didChange)
    (eglot-uri eglot--TextDocumentIdentifier eglot-path-to-uri)
    (eglot-position eglot--pos-to-lsp-position)
    (eglot-version eglot--docver eglot--versioned-identifier)
    (lsp-uri lsp--text-document-identifier)
    (lsp-position lsp--cur-position)
    (lsp-version lsp--cur-version)
    (lsp-workspace-client lsp--workspace-client)
    (lsp-client-server-id lsp--client-server-id)
    (lsp-workspace-status lsp--workspace-status)
    (lsp-scoped-request lsp--buffer-workspaces)
    (jsonrpc-request-id jsonrpc--async-request-1))
  "What the client reads from internals, and the internal names it tries.
Without any of them each use falls back to ghostwright's own way.")

(defun ghostwright-private-symbols-report ()
  "Say which internals of eglot, lsp-mode and jsonrpc are used and which fall back."
  (interactive)
  (let ((lines (mapcar (lambda (use)
                         (format "%s: %s" (car use)
                                 (or (apply #'ghostwright--private (cdr use)) "fallback")))
                       ghostwright--private-uses)))
    (message "%s" (string-join lines "\n"))
    lines))

;;; Transports

;; A transport is a list (KIND . OBJECT): (standalone . CONNECTION),
;; (eglot . SERVER) or (lsp . WORKSPACE).  Each knows how to flush the
;; document, describe positions, send and cancel a request.

(defvar ghostwright--ghostwright-servers (make-hash-table :test #'eq :weakness 'key)
  "Whether each eglot server seen is ghostwright (t or `no').")

(defun ghostwright--is-ghostwright-p (server)
  "Non-nil when the eglot SERVER is ghostwright."
  (let ((known (gethash server ghostwright--ghostwright-servers)))
    (unless known
      (setq known
            (if-let ((info (ghostwright--private 'eglot--server-info)))
                (if (equal (plist-get (funcall info server) :name) "ghostwright") t 'no)
              ;; Without eglot's record of serverInfo: only ghostwright answers its status.
              (condition-case nil
                  (progn (jsonrpc-request server :ghostwright/status nil :timeout 5) t)
                (error 'no))))
      (puthash server known ghostwright--ghostwright-servers))
    (eq known t)))

(defun ghostwright--eglot-server ()
  "The buffer's eglot server when it is ghostwright, else nil."
  (when (fboundp 'eglot-current-server)
    (let ((server (eglot-current-server)))
      (when (and server (ghostwright--is-ghostwright-p server))
        server))))

(defun ghostwright--lsp-server-id (workspace)
  "The lsp-mode server id of WORKSPACE, or nil when it cannot be read."
  (let ((client (ghostwright--private 'lsp--workspace-client))
        (server-id (ghostwright--private 'lsp--client-server-id)))
    (and client server-id (funcall server-id (funcall client workspace)))))

(defun ghostwright--lsp-workspace ()
  "The buffer's lsp-mode workspace of ghostwright, else nil."
  (when (and (bound-and-true-p lsp-mode) (fboundp 'lsp-workspaces))
    (let ((ours (or (and (ghostwright--private 'lsp--workspace-client 'lsp--client-server-id)
                         (cl-find-if (lambda (ws) (eq (ghostwright--lsp-server-id ws) 'ghostwright))
                                     (lsp-workspaces)))
                    (and (fboundp 'lsp-find-workspace)
                         (car (memq (lsp-find-workspace 'ghostwright buffer-file-name)
                                    (lsp-workspaces))))))
          (status (ghostwright--private 'lsp--workspace-status)))
      ;; Asked before `initialized', a server may not know the document.
      (when (and ours (or (null status) (eq (funcall status ours) 'initialized)))
        ours))))

(defvar ghostwright--lsp-registered nil
  "Non-nil once `ghostwright-lsp-register' has run.")

(defvar ghostwright--shut nil
  "Non-nil after `ghostwright-shutdown', until the user asks for a completion.")

(defun ghostwright--transport (&optional retry)
  "The transport that serves the current buffer, connecting if needed.
Return nil while the LSP client that should serve it is not ready,
and after `ghostwright-shutdown'.  RETRY (an explicit request) starts
the own connection's server again after a failed start or a shutdown."
  (let ((mode ghostwright-transport))
    (when retry (setq ghostwright--shut nil))
    (cond (ghostwright--shut nil)
          ((and (memq mode '(auto eglot)) (ghostwright--eglot-server))
           (cons 'eglot (ghostwright--eglot-server)))
          ((and (memq mode '(auto lsp)) (ghostwright--lsp-workspace))
           (cons 'lsp (ghostwright--lsp-workspace)))
          ((memq mode '(eglot lsp)) nil)
          ;; lsp-mode is starting ghostwright for this buffer: do not start a second server.
          ((and ghostwright--lsp-registered (bound-and-true-p lsp-mode)) nil)
          (t (ghostwright--standalone-open retry)
             (cons 'standalone ghostwright--opened)))))

(defun ghostwright--server-encoding (transport)
  "The position encoding TRANSPORT's server agreed on, as far as known."
  (or (ghostwright--get (gethash (cdr transport) ghostwright--status-cache) :positionEncoding)
      "utf-16"))

(defun ghostwright--eglot-document-params (transport)
  "Plist of :uri :version :position for point over the eglot TRANSPORT."
  (let ((flush (ghostwright--private 'eglot--signal-textDocument/didChange))
        (ident (ghostwright--private 'eglot--TextDocumentIdentifier))
        (to-uri (ghostwright--private 'eglot-path-to-uri))
        (position (ghostwright--private 'eglot--pos-to-lsp-position)))
    (when flush (funcall flush))
    (list :uri (cond (ident (plist-get (funcall ident) :uri))
                     (to-uri (funcall to-uri buffer-file-name))
                     (t (ghostwright--uri t)))
          ;; Unflushed, the version read now may be older than the server's: leave it out.
          :version (and flush (ghostwright--private-value 'eglot--docver 'eglot--versioned-identifier))
          :position (if position
                        (funcall position)
                      (ghostwright--position (point) (ghostwright--server-encoding transport)))
          :deferred (null flush))))

(defun ghostwright--document-params (transport)
  "Plist of :uri :version :position for point over TRANSPORT, after a flush.
:version is nil when the transport's version cannot be read."
  (pcase (car transport)
    ('eglot (ghostwright--eglot-document-params transport))
    ('lsp
     (let ((ident (ghostwright--private 'lsp--text-document-identifier))
           (position (ghostwright--private 'lsp--cur-position)))
       (list :uri (if ident (plist-get (funcall ident) :uri) (ghostwright--uri))
             :version (ghostwright--private-value 'lsp--cur-version)
             :position (if position
                           (funcall position)
                         (ghostwright--position (point) (ghostwright--lsp-encoding))))))
    (_ (list :uri (ghostwright--uri)
             :version ghostwright--version
             :position (ghostwright--position (point))))))

(defmacro ghostwright--with-lsp-workspace (workspace &rest body)
  "Run BODY with lsp-mode's requests sent to WORKSPACE only, where possible."
  (declare (indent 1))
  `(if (ghostwright--private 'lsp--buffer-workspaces)
       (let ((lsp--buffer-workspaces (list ,workspace))) ,@body)
     ,@body))

(defun ghostwright--send (transport params on-result on-error &optional deferred method)
  "Send inline-completion PARAMS over TRANSPORT; return a cancel handle.
ON-RESULT gets the result, ON-ERROR a message.  DEFERRED waits until
the connection is ready (eglot: its changes are sent).  METHOD, a
string, names another request than textDocument/inlineCompletion."
  (setq method (or method "textDocument/inlineCompletion"))
  (pcase (car transport)
    ('lsp
     (let ((token (format "ghostwright-%s" (buffer-name))))
       (ghostwright--with-lsp-workspace (cdr transport)
         (lsp-request-async method params on-result
                            :mode 'detached :cancel-token token
                            :error-handler (lambda (err) (funcall on-error (format "%S" err)))))
       token))
    (_
     (let ((args (list (cdr transport) (intern (concat ":" method)) params
                       :success-fn on-result
                       :error-fn (lambda (err) (funcall on-error (or (plist-get err :message)
                                                                    (format "%S" err))))
                       :deferred (and deferred (intern (concat ":" method)))
                       :timeout ghostwright-request-timeout
                       :timeout-fn (lambda () (funcall on-error "timed out"))))
           (with-id (ghostwright--private 'jsonrpc--async-request-1)))
       ;; The internal function returns the request id that `$/cancelRequest' needs;
       ;; the public one returns nil in jsonrpc 1.0.14.
       (if with-id
           (car (apply with-id args))
         (let ((id (apply #'jsonrpc-async-request args)))
           (and (integerp id) id)))))))


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
      ('lsp (ghostwright--with-lsp-workspace key
              (lsp-request-async "ghostwright/status" nil store :mode 'detached)))
      (_ (when (jsonrpc-running-p key)
           (jsonrpc-async-request key :ghostwright/status nil :success-fn store
                                  :error-fn #'ignore :timeout-fn #'ignore))))))

;;; The own connection (jsonrpc.el) and its document sync


(defun ghostwright--position (pos &optional encoding)
  "LSP position plist of POS in ENCODING, by default the own connection's."
  (save-excursion
    (save-restriction
      (widen)
      (goto-char pos)
      (let ((bol (line-beginning-position)))
        (list :line (1- (line-number-at-pos pos t))
              :character (pcase (or encoding ghostwright--encoding)
                           ("utf-32" (- pos bol))
                           ("utf-8" (string-bytes (buffer-substring-no-properties bol pos)))
                           (_ (/ (- (length (encode-coding-region bol pos 'utf-16 t)) 2) 2))))))))

(defun ghostwright--lsp-encoding ()
  "Return the position encoding lsp-mode counts in, from an emoji's column.
lsp-mode 8 counts characters, but does not say so to the server; the
client registered by `ghostwright-lsp-register' declares it."
  (let ((position (ghostwright--private 'lsp--cur-position)))
    (if (null position)
        "utf-32"
      (with-temp-buffer
        (insert "\N{WAVING HAND SIGN}")
        (pcase (plist-get (funcall position) :character)
          (1 "utf-32") (2 "utf-16") (_ "utf-8"))))))

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
                     (string-join ghostwright-server-command " ") (ghostwright--start-failure err)))
       (message "ghostwright: %s" ghostwright--connect-error)
       (user-error "%s" ghostwright--connect-error))))
  ghostwright--connection)

(defvar ghostwright--stderr-buffer nil
  "Buffer of the stderr of the own connection's newest server.")

(defun ghostwright--start-failure (err)
  "One line saying why the server did not start: its stderr's last line, else ERR."
  (let ((deadline (+ (float-time) 2))
        (proc (and (buffer-live-p ghostwright--stderr-buffer)
                   (get-buffer-process ghostwright--stderr-buffer))))
    ;; The server's last words may still be in the pipe.
    (while (and proc (process-live-p proc) (< (float-time) deadline))
      (accept-process-output proc 0.05))
    (accept-process-output nil 0.05)
    (let ((last (when (buffer-live-p ghostwright--stderr-buffer)
                  (with-current-buffer ghostwright--stderr-buffer
                    ;; Not the line Emacs adds when the stderr pipe closes.
                    (car (last (cl-remove-if (lambda (line) (string-prefix-p "Process ghostwright" line))
                                             (split-string (buffer-string) "\n" t "[ \t\r]+"))))))))
      (or last (car (split-string (error-message-string err) "\n" t))))))

(defun ghostwright--connect ()
  "Start the server and initialize it; return the connection."
  (unless (executable-find (car ghostwright-server-command))
    ;; Checked first: a pipe to a program that failed to start can kill Emacs with SIGPIPE.
    (error "No program %s found" (car ghostwright-server-command)))
  (when-let ((old (get-buffer "*ghostwright stderr*")))
    (let ((proc (get-buffer-process old)))
      (unless (and proc (process-live-p proc)) (kill-buffer old))))
  (setq ghostwright--stderr-buffer (generate-new-buffer "*ghostwright stderr*"))
  (let* ((proc (make-process :name "ghostwright" :command ghostwright-server-command
                             :connection-type 'pipe :coding 'utf-8-emacs-unix :noquery t
                             :stderr ghostwright--stderr-buffer))
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
                                                   (make-hash-table)))
                  ;; jsonrpc's default of 10 s is short for a busy machine's first start.
                  :timeout 60)))
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
  "Stop ghostwright's server: the own connection's, eglot's or lsp-mode's.
Of eglot's and lsp-mode's, the one serving the current buffer.
It stays stopped: no automatic request starts it again, in any
buffer, until you ask for a completion with `ghostwright-complete'."
  (interactive)
  (setq ghostwright--shut t)
  (dolist (buffer (buffer-list))
    (with-current-buffer buffer
      (when (or ghostwright--pending ghostwright--showing)
        (ghostwright-dismiss))))
  (when-let ((server (ghostwright--eglot-server)))
    (eglot-shutdown server))
  (when-let ((workspace (ghostwright--lsp-workspace)))
    (lsp-workspace-shutdown workspace))
  (when ghostwright--connection
    (let ((conn ghostwright--connection))
      (setq ghostwright--connection nil)
      (ignore-errors (jsonrpc-request conn :shutdown nil :timeout 5))
      (ignore-errors (jsonrpc-notify conn :exit nil))
      (ignore-errors (jsonrpc-shutdown conn t))))
  (force-mode-line-update t)
  (message "ghostwright: stopped; M-x ghostwright-complete starts it again"))

(defun ghostwright--on-kill ()
  "Stop the buffer's request and close its document: the buffer is going."
  (ghostwright-dismiss)
  (ghostwright--standalone-close))

;;; Requests, partials and answers

(defun ghostwright--request (kind)
  "Ask for a completion at point; KIND is 1 (invoked) or 2 (automatic)."
  (ghostwright-dismiss)
  (if-let ((transport (ghostwright--transport (= kind 1))))
      (ghostwright--request-over transport kind)
    (when (= kind 1)
      (message "ghostwright: the server is not connected to this buffer yet"))))

(defvar-local ghostwright--server-seen nil
  "(VERSION . TICK): the server's newest document version seen in a partial.
TICK is the buffer's `buffer-chars-modified-tick' when the request
it answered was sent.")

(defun ghostwright--version-floor ()
  "The oldest server version a partial of a request sent now may carry.
Known from partials alone: after an edit, the server's version grew."
  (let ((seen ghostwright--server-seen))
    (cond ((null seen) 0)
          ((eql (cdr seen) (buffer-chars-modified-tick)) (car seen))
          (t (1+ (car seen))))))

(defun ghostwright--request-over (transport kind)
  "Ask TRANSPORT for a completion at point with trigger KIND."
  (let* ((doc (ghostwright--document-params transport))
         (position (plist-get doc :position))
         (buffer (current-buffer))
         (pending (list :transport transport :uri (plist-get doc :uri)
                        :version (plist-get doc :version)
                        :floor (ghostwright--version-floor)
                        :tick (buffer-chars-modified-tick)
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
                (lambda (msg) (ghostwright--on-error buffer pending msg))
                (plist-get doc :deferred)))
    (force-mode-line-update)))

(defun ghostwright--matches-pending-p (params)
  "Non-nil when partial PARAMS belong to the pending request of its buffer.
Uri and position must be the request's.  The version must be the
one the transport reported, or, where that cannot be read, one no
older than the client knows the server has (see
`ghostwright--version-floor'), and the same in every partial."
  (let ((p ghostwright--pending)
        (version (ghostwright--get-in params :textDocument :version)))
    (and p
         (equal (ghostwright--get-in params :textDocument :uri) (plist-get p :uri))
         (equal (ghostwright--get-in params :position :line) (plist-get p :line))
         (equal (ghostwright--get-in params :position :character) (plist-get p :character))
         (integerp version)
         (if (plist-get p :version)
             (eql version (plist-get p :version))
           (and (>= version (plist-get p :floor))
                (eql version (or (plist-get p :seen) version)))))))

(defun ghostwright--on-partial (params)
  "Grow the ghost text from the partial completion PARAMS; drop it when stale."
  (let ((buffer (gethash (ghostwright--get-in params :textDocument :uri) ghostwright--uri-buffers)))
    (when (buffer-live-p buffer)
      (with-current-buffer buffer
        (when (ghostwright--matches-pending-p params)
          (let ((version (ghostwright--get-in params :textDocument :version)))
            (plist-put ghostwright--pending :seen version)
            (setq ghostwright--server-seen (cons version (plist-get ghostwright--pending :tick))))
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
    (when (string-prefix-p "\n" text)
      ;; On a newline the cursor property puts the terminal's cursor after the string's
      ;; last line; a blank before it, at the end of point's line, holds it at point.
      (setq shown (concat (propertize " " 'ghostwright-pad t) shown)))
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

(defun ghostwright-accept (&optional arg)
  "Insert the whole ghost text.
With a prefix ARG, dismiss it and run what the keys run without
ghost text instead (TAB indents)."
  (interactive "P")
  (if arg
      (ghostwright--run-underlying)
    (let ((remaining (ghostwright--remaining)))
      (when (and ghostwright--showing remaining)
        (ghostwright--cancel)
        (ghostwright--consume remaining)
        (ghostwright--clear)))))

(defun ghostwright--run-underlying ()
  "Dismiss the ghost text and run the command of the keys without it."
  (ghostwright-dismiss)
  (let* ((keys (this-command-keys-vector))
         ;; The prefix argument's own keys come first; the command's key is the last.
         (key (if (> (length keys) 0) (vector (aref keys (1- (length keys)))) [?\t]))
         ;; <tab> is read as TAB where only TAB is bound.
         (translated (lookup-key local-function-key-map key))
         (command (or (key-binding key t)
                      (and (vectorp translated) (key-binding translated t)))))
    (when (commandp command)
      (setq this-command command)
      (let ((current-prefix-arg nil))
        (call-interactively command)))))

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
                  (plist-get doc :deferred) "ghostwright/alternativeCompletion"))
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
            (cond (ghostwright--shut ":off"))
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
        (add-hook 'kill-buffer-hook #'ghostwright--on-kill nil t)
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
    (remove-hook 'kill-buffer-hook #'ghostwright--on-kill t)))

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
    ;; lsp-mode says nothing of how it counts columns; the server would assume UTF-16.
    :custom-capabilities `((general . ((positionEncodings . [,(ghostwright--lsp-encoding)]))))
    :server-id 'ghostwright
    :initialization-options (lambda () (or ghostwright-initialization-options (make-hash-table)))
    :notification-handlers
    (let ((handlers (make-hash-table :test #'equal)))
      (puthash "ghostwright/partialCompletion" #'ghostwright--lsp-partial handlers)
      handlers))))

(provide 'ghostwright)
;;; ghostwright.el ends here
