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
;; three transports, each in its own file:
;;
;; - ghostwright-eglot.el: eglot, when ghostwright is the buffer's
;;   eglot server;
;; - ghostwright-lsp.el: lsp-mode, where ghostwright runs as an add-on
;;   client beside the main language server (see
;;   `ghostwright-lsp-register');
;; - ghostwright-jsonrpc.el: its own jsonrpc.el connection with its own
;;   document sync, for buffers whose eglot server is another one, or
;;   with no LSP client.
;;
;; This file holds the ghost text, its keys and commands, the modes,
;; the requests and their partials, and the one choice of transport
;; (`ghostwright--choose-transport').  A transport answers the generic
;; functions of "Transports" below; loading this file loads all three.
;;
;; Turn it on with `ghostwright-mode' or `global-ghostwright-mode'.
;; While ghost text shows, `ghostwright-active-map' is active: TAB
;; accepts (C-u TAB indents), M-<right> accepts a word, M-<end> a
;; line, M-n/M-p cycle and C-g dismisses; no key of everyday editing
;; is taken.  Typing the characters the ghost text shows consumes
;; them; any other edit or motion clears it.

;;; Code:

(require 'cl-lib)
(require 'seq)
(require 'subr-x)
(require 'url-util)

(defvar evil-state)
(declare-function ghostwright--standalone-open "ghostwright-jsonrpc" (&optional retry))
(declare-function ghostwright--standalone-close "ghostwright-jsonrpc" ())
(declare-function ghostwright--standalone-shutdown "ghostwright-jsonrpc" ())

;;; Customization

(defgroup ghostwright nil
  "Streaming ghost-text completion from a local model."
  :group 'tools
  :prefix "ghostwright-")

(defcustom ghostwright-server-command '("ghostwright" "serve")
  "Program and arguments that start the ghostwright language server."
  :type '(repeat string)
  :package-version '(ghostwright . "0.1.0"))

(defcustom ghostwright-initialization-options nil
  "Plist sent to the server as LSP `initializationOptions'.
Keys are camelCase as on the wire, for example
\(:completion (:debounceMs 150 :maxTokens 64))."
  :type 'plist
  :package-version '(ghostwright . "0.1.0"))

(defcustom ghostwright-idle-delay 0.05
  "Seconds of idle time after an edit before completion is requested.
The server adds its own `completion.debounceMs' to automatic
requests, and each new request cancels the previous one, so this
can stay small."
  :type 'number
  :package-version '(ghostwright . "0.1.0"))

(defcustom ghostwright-disable-predicates
  (list #'minibufferp #'ghostwright--read-only-p #'ghostwright--evil-normal-p)
  "Functions of no argument; when any returns non-nil, no automatic request."
  :type '(repeat function)
  :package-version '(ghostwright . "0.1.0"))

(defcustom ghostwright-transport 'auto
  "How to reach the server.
`auto' uses eglot's connection when ghostwright is the buffer's
eglot server, lsp-mode's ghostwright workspace when the buffer has
one (and waits for it while lsp-mode starts it), and otherwise
ghostwright's own connection.  `eglot' and `lsp' use only that
client and ask nothing until it is connected; `standalone' always
uses the own connection."
  :type '(choice (const auto) (const eglot) (const lsp) (const standalone))
  :package-version '(ghostwright . "0.1.0"))

(defcustom ghostwright-request-timeout 60
  "Seconds after which an unanswered completion request is dropped."
  :type 'number
  :package-version '(ghostwright . "0.1.0"))

(defcustom ghostwright-show-functions nil
  "Abnormal hook run with the ghost text each time it changes.
Each function gets the text now shown (a string) and whether it
is final (non-nil when the server has answered)."
  :type 'hook
  :package-version '(ghostwright . "0.1.0"))

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
(defvar-local ghostwright--ids nil
  "The server's suggestion id of each of `ghostwright--items' (nil where unknown).")
(defvar-local ghostwright--reported nil
  "Ids of `ghostwright--ids' whose fate the server has been told.")
(defvar-local ghostwright--feedback-transport nil
  "The transport the shown suggestions came over: their fates go back over it.")
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

(defun ghostwright--uri (&optional truename)
  "URI of the buffer's document, as ghostwright names it itself.
TRUENAME resolves symbolic links first, as eglot does."
  (if buffer-file-name
      (concat "file://"
              (url-hexify-string (funcall (if truename #'file-truename #'expand-file-name)
                                          buffer-file-name)
                                 (url--allowed-chars (cons ?/ url-unreserved-chars))))
    (concat "untitled:" (url-hexify-string (buffer-name)))))

(defun ghostwright--position (pos &optional encoding)
  "LSP position plist of POS in ENCODING, by default UTF-16 (LSP's)."
  (save-excursion
    (save-restriction
      (widen)
      (goto-char pos)
      (let ((bol (line-beginning-position)))
        (list :line (1- (line-number-at-pos pos t))
              :character (pcase encoding
                           ("utf-32" (- pos bol))
                           ("utf-8" (string-bytes (buffer-substring-no-properties bol pos)))
                           (_ (/ (- (length (encode-coding-region bol pos 'utf-16 t)) 2) 2))))))))

;;; Private symbols of eglot, lsp-mode and jsonrpc

;; These packages rename their internals without notice (eglot 1.20
;; renamed `eglot--versioned-identifier' to `eglot--docver').  Each
;; internal read goes through `ghostwright--private', and each has a
;; fallback of ghostwright's own: none is needed to show partials,
;; which are matched on what the client itself knows (see
;; `ghostwright--matches-pending-p').  Each transport's file records
;; the internals it reads with `ghostwright--reads-private'.

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

(defvar ghostwright--private-uses nil
  "What the client reads from internals, and the internal names it tries.
Each entry is (USE SYMBOL...).  Without any of them each use falls
back to ghostwright's own way.")

(defun ghostwright--reads-private (entries)
  "Add ENTRIES, each (USE SYMBOL...), to `ghostwright--private-uses'."
  (setq ghostwright--private-uses
        (append (cl-remove-if (lambda (use) (assq (car use) entries)) ghostwright--private-uses)
                entries)))

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

;; A transport is a cons (KIND . OBJECT): (standalone . CONNECTION),
;; the own jsonrpc.el connection (ghostwright-jsonrpc.el); (eglot
;; . SERVER) (ghostwright-eglot.el); (lsp . WORKSPACE)
;; (ghostwright-lsp.el).  Each file answers these generic functions
;; for its KIND; the methods for any jsonrpc.el connection are the
;; defaults (ghostwright-jsonrpc.el), which eglot's server is too.
;; This file reads no internal of eglot, lsp-mode or jsonrpc.

(cl-defgeneric ghostwright--client-connection (kind)
  "The OBJECT of a transport of KIND serving the current buffer, or nil.
For an LSP client, its connection to ghostwright when ghostwright
serves the buffer through it, or `wait' while the client is still
starting ghostwright for the buffer; for `standalone', the own
connection when the buffer's document is open on it.")

(cl-defmethod ghostwright--client-connection (_kind)
  "No transport of a kind whose file is not loaded serves the buffer."
  nil)

(cl-defgeneric ghostwright--transport-document (transport)
  "Plist of :uri :version :position for point over TRANSPORT, after a flush.
:version is nil when the transport's version cannot be read;
:deferred non-nil asks `ghostwright--transport-request' to wait
until the transport has sent its changes.")

(cl-defgeneric ghostwright--transport-request (transport method params on-result on-error deferred)
  "Send the request METHOD (a string) with PARAMS over TRANSPORT.
ON-RESULT gets the result, ON-ERROR a message.  DEFERRED waits until
the transport is ready (eglot: its changes are sent).  Return a
handle for `ghostwright--transport-cancel', or nil.")

(cl-defgeneric ghostwright--transport-cancel (transport handle)
  "Ask TRANSPORT's server to stop the request HANDLE.")

(cl-defgeneric ghostwright--transport-notify (transport method params)
  "Send the notification METHOD (a string) with PARAMS over TRANSPORT.")

(cl-defgeneric ghostwright--transport-status (transport on-result)
  "Ask TRANSPORT's server for `ghostwright/status'; call ON-RESULT with it.")

(cl-defgeneric ghostwright--transport-shutdown (transport)
  "Stop TRANSPORT's ghostwright server.")

(defconst ghostwright--clients '(eglot lsp)
  "LSP clients that may carry ghostwright, in order of preference.")

(defvar ghostwright--shut nil
  "Non-nil after `ghostwright-shutdown', until the user asks for a completion.")

(defun ghostwright--choose-transport (&optional connect retry)
  "The transport that serves the current buffer: the one place it is chosen.
The first LSP client of `ghostwright--clients' that
`ghostwright-transport' allows and whose ghostwright serves the
buffer wins; where `ghostwright-transport' names a client, only it.
Otherwise, the own connection.  Without CONNECT nothing starts: the
own connection counts where the buffer's document is open on it.
With CONNECT it is started and the document opened, except after
`ghostwright-shutdown' and while lsp-mode starts ghostwright for the
buffer (no second server).  RETRY (an explicit request) also starts
the own connection's server again after a failed start or a shutdown."
  (when retry (setq ghostwright--shut nil))
  (let* ((mode ghostwright-transport)
         (client (cl-loop for kind in ghostwright--clients
                          for object = (and (memq mode (list 'auto kind))
                                            (ghostwright--client-connection kind))
                          when object return (cons kind object))))
    (cond ((and connect ghostwright--shut) nil)
          ((eq (cdr client) 'wait) nil)
          (client)
          ((memq mode ghostwright--clients) nil)
          (connect (cons 'standalone (ghostwright--standalone-open retry)))
          (t (when-let ((conn (ghostwright--client-connection 'standalone)))
               (cons 'standalone conn))))))

(defun ghostwright--transport (&optional retry)
  "The transport that serves the current buffer, connecting if needed.
Return nil while the LSP client that should serve it is not ready,
and after `ghostwright-shutdown'.  RETRY: see `ghostwright--choose-transport'."
  (ghostwright--choose-transport t retry))

(defun ghostwright--current-transport ()
  "The transport the buffer would use, without connecting."
  (ghostwright--choose-transport))

(defun ghostwright--send (transport params on-result on-error &optional deferred method)
  "Send inline-completion PARAMS over TRANSPORT; return a cancel handle.
ON-RESULT gets the result, ON-ERROR a message.  DEFERRED waits until
the connection is ready (eglot: its changes are sent).  METHOD, a
string, names another request than textDocument/inlineCompletion."
  (ghostwright--transport-request transport (or method "textDocument/inlineCompletion")
                                  params on-result on-error deferred))

(defun ghostwright--fetch-status (transport &optional then)
  "Ask TRANSPORT's server for `ghostwright/status' and cache the answer.
THEN, when given, is called with the answer."
  (ghostwright--transport-status
   transport
   (lambda (result)
     (puthash (cdr transport) result ghostwright--status-cache)
     (force-mode-line-update t)
     (when then (funcall then result)))))

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
  (let* ((doc (ghostwright--transport-document transport))
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
          (setq ghostwright--state 'streaming
                ghostwright--ids (list (ghostwright--get params :id))
                ghostwright--feedback-transport (plist-get ghostwright--pending :transport))
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
        (let ((items (ghostwright--inserting-items result pending)))
          (setq ghostwright--ids (mapcar #'cdr items)
                ghostwright--feedback-transport (plist-get pending :transport))
          (if items
              (ghostwright--display (mapcar #'car items) t)
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
  "Texts of the items in RESULT that insert at PENDING's position."
  (mapcar #'car (ghostwright--inserting-items result pending)))

(defun ghostwright--item-id (item)
  "The suggestion id in the command of ITEM, or nil."
  (let ((args (ghostwright--get-in item :command :arguments)))
    (and (sequencep args) (> (length args) 0)
         (ghostwright--get (seq-elt args 0) :id))))

(defun ghostwright--inserting-items (result pending)
  "Items in RESULT that insert at PENDING's position, each (TEXT . ID).
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
          (push (cons text (ghostwright--item-id item)) texts))))
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
        ghostwright--ids nil
        ghostwright--reported nil
        ghostwright--index 0
        ghostwright--typed ""))

(defun ghostwright--cancel ()
  "Cancel the request in flight, if any."
  (when-let ((pending ghostwright--pending))
    (setq ghostwright--pending nil ghostwright--state 'idle)
    (when-let ((handle (plist-get pending :handle)))
      (ghostwright--transport-cancel (plist-get pending :transport) handle))
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

(defun ghostwright--accept-part (take kind)
  "Accept the part of the ghost text chosen by TAKE, a function of it.
KIND, \"word\" or \"line\", is what the server is told was
taken."
  (let ((remaining (ghostwright--remaining)))
    (when (and ghostwright--showing remaining)
      (let ((part (funcall take remaining)))
        (ghostwright--consume part)
        (if (and (null ghostwright--pending) (string= part remaining))
            (progn (ghostwright--settle 'accepted)
                   (ghostwright--clear))
          (ghostwright--settle 'partial kind)
          (ghostwright--show (or (ghostwright--remaining) "") (null ghostwright--pending)))))))

;;; Feedback: what became of each suggestion, told to the server

;; The server counts suggestions shown, accepted, partially accepted,
;; dismissed and typed through, on this machine only (docs/feedback.md).
;; Each is one `workspace/executeCommand' naming the suggestion's id:
;; an accept runs `ghostwright.accepted', the command each completion
;; item carries (LSP 3.18), also for text accepted while it streams
;; (partials carry the id); the other fates are ghostwright's own
;; commands.

(defun ghostwright--tell-fate (command id &rest more)
  "Run the server's feedback COMMAND for the suggestion ID.
MORE, a plist, goes into the argument beside the id.  Changes are
sent first (eglot holds them back otherwise), so the server finds the
accepted text in its copy of the document."
  (when-let ((transport (and id ghostwright--feedback-transport)))
    (ignore-errors
      (let ((doc (ghostwright--transport-document transport)))
        (ghostwright--transport-request
         transport "workspace/executeCommand"
         (list :command command :arguments (vector (append (list :id id) more)))
         #'ignore #'ignore (plist-get doc :deferred))))))

(defun ghostwright--settle (fate &optional kind)
  "Tell the server FATE of the shown suggestion.
FATE is `accepted', `typed' (typed through to its end), `partial'
\(KIND of part taken, \"word\" or \"line\") or `dismissed'.  When the
shown one is settled, the other candidates count as dismissed."
  (let ((current (nth ghostwright--index ghostwright--ids)))
    (cl-loop for id in ghostwright--ids
             when (and id (not (member id ghostwright--reported)))
             do (cond ((not (equal id current))
                       (unless (eq fate 'partial)
                         (ghostwright--tell-fate "ghostwright.dismissed" id)
                         (push id ghostwright--reported)))
                      ((eq fate 'partial)
                       (ghostwright--tell-fate "ghostwright.partiallyAccepted" id
                                               :kind kind :chars (length ghostwright--typed)))
                      (t
                       (ghostwright--tell-fate (pcase fate
                                                 ('accepted "ghostwright.accepted")
                                                 ('typed "ghostwright.typedThrough")
                                                 (_ "ghostwright.dismissed"))
                                               id)
                       (push id ghostwright--reported))))))

(defun ghostwright-stats ()
  "Show how often suggestions were shown, taken and kept, as counted.
A table per language, backend/model and kind of place, and a bar per
day of the share taken; the counts stay on this machine."
  (interactive)
  (if-let ((transport (ghostwright--current-transport)))
      (ghostwright--transport-request
       transport "ghostwright/stats" nil
       (lambda (result)
         (with-current-buffer (get-buffer-create "*ghostwright stats*")
           (let ((inhibit-read-only t))
             (erase-buffer)
             (insert (or (ghostwright--get result :text) "") "\n")
             (goto-char (point-min))
             (special-mode))
           (display-buffer (current-buffer))))
       (lambda (msg) (message "ghostwright: %s" msg))
       nil)
    (message "ghostwright: no server serves this buffer yet")))

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
        (ghostwright--settle 'accepted)
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
       text))
   "word"))

(defun ghostwright-accept-line ()
  "Insert the ghost text up to the end of its current line."
  (interactive)
  (ghostwright--accept-part
   (lambda (text)
     (if (string-match "\\`\n*[^\n]*" text)
         (match-string 0 text)
       text))
   "line"))

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
    (let* ((doc (ghostwright--transport-document transport))
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
        (let* ((item (car (ghostwright--inserting-items result pending)))
               (new (car item)))
          (if (and new ghostwright--showing (equal typed ghostwright--typed))
              (progn
                (setq ghostwright--ids (append ghostwright--ids
                                               (make-list (- (length ghostwright--items)
                                                             (length ghostwright--ids))
                                                          nil)
                                               (list (cdr item)))
                      ghostwright--items (append ghostwright--items (list (concat typed new)))
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
  (ghostwright--settle 'dismissed)
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
    ghostwright-next ghostwright-previous ghostwright-complete ghostwright-status ghostwright-stats)
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
          (progn (ghostwright--settle 'typed)
                 (ghostwright--clear))
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
        (add-hook 'kill-buffer-hook #'ghostwright--on-kill nil t)
        (setq ghostwright--last-tick (buffer-chars-modified-tick)))
    (ghostwright-dismiss)
    (ghostwright--standalone-close)
    (remove-hook 'pre-command-hook #'ghostwright--pre-command t)
    (remove-hook 'post-command-hook #'ghostwright--post-command t)
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

;;; Stopping

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
  (dolist (kind ghostwright--clients)
    (let ((object (ghostwright--client-connection kind)))
      (when (and object (not (eq object 'wait)))
        (ghostwright--transport-shutdown (cons kind object)))))
  (ghostwright--standalone-shutdown)
  (force-mode-line-update t)
  (message "ghostwright: stopped; M-x ghostwright-complete starts it again"))

(defun ghostwright--on-kill ()
  "Stop the buffer's request and close its document: the buffer is going."
  (ghostwright-dismiss)
  (ghostwright--standalone-close))

(provide 'ghostwright)

;; After `provide': each transport's file requires this one.
(cl-eval-when (load eval)
  (require 'ghostwright-jsonrpc)
  (require 'ghostwright-eglot)
  (require 'ghostwright-lsp))

;;; ghostwright.el ends here
