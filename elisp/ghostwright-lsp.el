;;; ghostwright-lsp.el --- ghostwright as an lsp-mode add-on client -*- lexical-binding: t; -*-

;; Copyright (C) 2026 The ghostwright authors

;; Author: The ghostwright authors
;; URL: https://github.com/ghostwright/ghostwright

;; This file is not part of GNU Emacs.

;; Licensed under the Apache License, Version 2.0.

;;; Commentary:

;; The transport `lsp' of ghostwright.el: `ghostwright-lsp-register'
;; registers ghostwright with lsp-mode as an add-on client beside
;; each buffer's main language server.  Requests go to ghostwright's
;; workspace only; partials arrive through the client's notification
;; handler.  Nothing here loads lsp-mode before that command.

;;; Code:

(require 'cl-lib)
(require 'ghostwright)

(defvar lsp-inline-completion-enable)
;; Bound around lsp-mode requests to send them to ghostwright's workspace only.
(defvar lsp--buffer-workspaces)
(declare-function lsp-workspaces "ext:lsp-mode")
(declare-function lsp-find-workspace "ext:lsp-mode")
(declare-function lsp-request-async "ext:lsp-mode")
(declare-function lsp-notify "ext:lsp-mode")
(declare-function lsp-cancel-request-by-token "ext:lsp-mode")
(declare-function lsp-workspace-shutdown "ext:lsp-mode")
(declare-function lsp-register-client "ext:lsp-mode")
(declare-function lsp-stdio-connection "ext:lsp-mode")
(declare-function make-lsp-client "ext:lsp-mode")

(ghostwright--reads-private
 '((lsp-uri lsp--text-document-identifier)
   (lsp-position lsp--cur-position)
   (lsp-version lsp--cur-version)
   (lsp-workspace-client lsp--workspace-client)
   (lsp-client-server-id lsp--client-server-id)
   (lsp-workspace-status lsp--workspace-status)
   (lsp-scoped-request lsp--buffer-workspaces)))

(defvar ghostwright--lsp-registered nil
  "Non-nil once `ghostwright-lsp-register' has run.")

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

(defmacro ghostwright--with-lsp-workspace (workspace &rest body)
  "Run BODY with lsp-mode's requests sent to WORKSPACE only, where possible."
  (declare (indent 1))
  `(if (ghostwright--private 'lsp--buffer-workspaces)
       (let ((lsp--buffer-workspaces (list ,workspace))) ,@body)
     ,@body))

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

;;; The transport

(cl-defmethod ghostwright--client-connection ((_kind (eql lsp)))
  "The buffer's ghostwright workspace; `wait' while lsp-mode is starting it."
  (or (ghostwright--lsp-workspace)
      ;; lsp-mode is starting ghostwright for this buffer: do not start a second server.
      (and ghostwright--lsp-registered (bound-and-true-p lsp-mode) 'wait)))

(cl-defmethod ghostwright--transport-document ((_transport (head lsp)))
  "Uri, version and position at point of the buffer's lsp-mode document."
  (let ((ident (ghostwright--private 'lsp--text-document-identifier))
        (position (ghostwright--private 'lsp--cur-position)))
    (list :uri (if ident (plist-get (funcall ident) :uri) (ghostwright--uri))
          :version (ghostwright--private-value 'lsp--cur-version)
          :position (if position
                        (funcall position)
                      (ghostwright--position (point) (ghostwright--lsp-encoding))))))

(cl-defmethod ghostwright--transport-request ((transport (head lsp)) method params
                                              on-result on-error _deferred)
  "Send METHOD with PARAMS to the lsp-mode workspace of TRANSPORT only.
ON-RESULT, ON-ERROR: see `ghostwright--transport-request'.  lsp-mode
sends its changes before any request.  The handle is a cancel token."
  ;; One token per buffer: a new completion request cancels the last.  Feedback
  ;; (workspace/executeCommand) has none, so neither cancels the other.
  (let ((token (unless (equal method "workspace/executeCommand")
                 (format "ghostwright-%s" (buffer-name)))))
    (ghostwright--with-lsp-workspace (cdr transport)
      (lsp-request-async method params on-result
                         :mode 'detached :cancel-token token
                         :error-handler (lambda (err) (funcall on-error (format "%S" err)))))
    token))

(cl-defmethod ghostwright--transport-notify ((transport (head lsp)) method params)
  "Send the notification METHOD with PARAMS to the workspace of TRANSPORT only."
  (ghostwright--with-lsp-workspace (cdr transport)
    (lsp-notify method params)))

(cl-defmethod ghostwright--transport-cancel ((_transport (head lsp)) handle)
  "Cancel the request of the cancel token HANDLE."
  (lsp-cancel-request-by-token handle))

(cl-defmethod ghostwright--transport-status ((transport (head lsp)) on-result)
  "Ask the workspace of TRANSPORT for the status; ON-RESULT gets it."
  (ghostwright--with-lsp-workspace (cdr transport)
    (lsp-request-async "ghostwright/status" nil on-result :mode 'detached)))

(cl-defmethod ghostwright--transport-shutdown ((transport (head lsp)))
  "Stop the ghostwright workspace of TRANSPORT."
  (lsp-workspace-shutdown (cdr transport)))

;;; Registration

(defun ghostwright--lsp-partial (_workspace params)
  "Grow the ghost text from a partial completion PARAMS sent over lsp-mode."
  (ghostwright--on-partial params))

(defun ghostwright--lsp-mode-setup ()
  "Turn off lsp-mode's own inline completion where `ghostwright-mode' is on.
lsp-mode >= 10 has its own inline UI, which shows no streaming."
  (when (and ghostwright-mode (boundp 'lsp-inline-completion-enable))
    (setq-local lsp-inline-completion-enable nil)))

(add-hook 'ghostwright-mode-hook #'ghostwright--lsp-mode-setup)

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

(provide 'ghostwright-lsp)
;;; ghostwright-lsp.el ends here
