;;; ghostwright-jsonrpc.el --- ghostwright's own connection to its server -*- lexical-binding: t; -*-

;; Copyright (C) 2026 The ghostwright authors

;; Author: The ghostwright authors
;; URL: https://github.com/ghostwright/ghostwright

;; This file is not part of GNU Emacs.

;; Licensed under the Apache License, Version 2.0.

;;; Commentary:

;; The transport `standalone' of ghostwright.el: a jsonrpc.el
;; connection to a server process ghostwright starts itself (its
;; stderr in *ghostwright stderr*), with its own document sync
;; (didOpen, incremental didChange, didClose).  It serves buffers
;; with no LSP client, and buffers whose eglot server is another one.
;; Its requests, notifications, cancellation and status are the
;; default methods of the transport interface, for any jsonrpc.el
;; connection: ghostwright-eglot.el uses them too, as an eglot server
;; is one.

;;; Code:

(require 'cl-lib)
(require 'jsonrpc)
(require 'subr-x)
(require 'ghostwright)

(ghostwright--reads-private '((jsonrpc-request-id jsonrpc--async-request-1)))

(defvar ghostwright--connection nil "The own connection to the server, if started.")
(defvar-local ghostwright--version 0 "Version of the document on the own connection.")
(defvar-local ghostwright--opened nil "Non-nil when the own connection has the document open.")
(defvar-local ghostwright--before-change nil "Region and LSP range of the coming change.")
(defvar ghostwright--encoding "utf-16" "Position encoding agreed with the own connection.")
(defvar ghostwright--folders-sent nil
  "Project roots the own connection was told about, as workspace folders.")

;;; Any jsonrpc.el connection: the own one, and eglot's

;; The default methods of the transport interface: a transport's
;; OBJECT is a jsonrpc.el connection unless its kind has methods of
;; its own (lsp-mode's workspace has).

(cl-defmethod ghostwright--transport-request (transport method params on-result on-error deferred)
  "Send METHOD with PARAMS over TRANSPORT's jsonrpc.el connection.
ON-RESULT, ON-ERROR and DEFERRED are as for
`ghostwright--transport-request'.  Return the request id, or nil."
  (let* ((method (intern (concat ":" method)))
         (args (list (cdr transport) method params
                     :success-fn on-result
                     :error-fn (lambda (err) (funcall on-error (or (plist-get err :message)
                                                                  (format "%S" err))))
                     :deferred (and deferred method)
                     :timeout ghostwright-request-timeout
                     :timeout-fn (lambda () (funcall on-error "timed out"))))
         (with-id (ghostwright--private 'jsonrpc--async-request-1)))
    ;; The internal function returns the request id that `$/cancelRequest' needs;
    ;; the public one returns nil in jsonrpc 1.0.14.
    (if with-id
        (car (apply with-id args))
      (let ((id (apply #'jsonrpc-async-request args)))
        (and (integerp id) id)))))

(cl-defmethod ghostwright--transport-notify (transport method params)
  "Send the notification METHOD with PARAMS over TRANSPORT's connection.
Nothing is sent once the connection is down."
  (let ((conn (cdr transport)))
    (when (jsonrpc-running-p conn)
      (jsonrpc-notify conn (intern (concat ":" method)) params))))

(cl-defmethod ghostwright--transport-cancel (transport handle)
  "Cancel the request HANDLE, an id, on TRANSPORT's jsonrpc.el connection."
  (ghostwright--transport-notify transport "$/cancelRequest" (list :id handle)))

(cl-defmethod ghostwright--transport-status (transport on-result)
  "Ask TRANSPORT's server for the status over jsonrpc.el; ON-RESULT gets it."
  (let ((conn (cdr transport)))
    (when (jsonrpc-running-p conn)
      (jsonrpc-async-request conn :ghostwright/status nil :success-fn on-result
                             :error-fn #'ignore :timeout-fn #'ignore))))

;;; The own connection as a transport

(cl-defmethod ghostwright--client-connection ((_kind (eql standalone)))
  "The own connection, when it has the buffer's document open."
  ghostwright--opened)

(cl-defmethod ghostwright--transport-document ((_transport (head standalone)))
  "Uri, version and position at point of the own connection's document."
  (list :uri (ghostwright--uri)
        :version ghostwright--version
        :position (ghostwright--position (point) ghostwright--encoding)))

;;; The server process

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
          (or (ghostwright--get-in answer :capabilities :positionEncoding) "utf-16")
          ghostwright--folders-sent nil)
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

(defun ghostwright--language-id ()
  "LSP language identifier of the buffer."
  (let ((name (string-remove-suffix "-mode" (symbol-name major-mode))))
    (setq name (string-remove-suffix "-ts" name))
    (pcase name
      ("emacs-lisp" "elisp") ("js" "javascript") ("c++" "cpp")
      ("sh" "shellscript") ("typescript-tsx" "typescriptreact")
      (_ name))))

(defun ghostwright--standalone-open (&optional retry)
  "Open the buffer's document on the own connection unless it is.
Return the connection.  RETRY starts the server again after a failed
start."
  (unless (and ghostwright--opened (jsonrpc-running-p ghostwright--opened))
    (let ((conn (ghostwright--connection retry)))
      (setq ghostwright--version 1 ghostwright--opened conn)
      (add-hook 'before-change-functions #'ghostwright--before-change nil t)
      (add-hook 'after-change-functions #'ghostwright--after-change nil t)
      (save-restriction
        (widen)
        (ghostwright--transport-notify
         (cons 'standalone conn) "textDocument/didOpen"
         (list :textDocument
               (list :uri (ghostwright--uri)
                     :languageId (ghostwright--language-id)
                     :version ghostwright--version
                     :text (buffer-substring-no-properties (point-min) (point-max)))))
        (ghostwright--send-project conn))))
  ghostwright--opened)

(defun ghostwright--project-root ()
  "The buffer's project root from project.el, or nil (no project, or a remote one)."
  (when-let* ((project (and (fboundp 'project-current) (ignore-errors (project-current nil))))
              (root (if (fboundp 'project-root)
                        (project-root project)
                      (car (with-no-warnings (project-roots project))))))
    (unless (file-remote-p root)
      (directory-file-name (expand-file-name root)))))

(defun ghostwright--send-project (conn)
  "Tell CONN the buffer's project root as a workspace folder, once per root.
The own connection serves every project of this Emacs: context from
other files reads only the folders named so."
  (let ((root (ghostwright--project-root)))
    (when (and root (not (member root ghostwright--folders-sent)))
      (push root ghostwright--folders-sent)
      (ghostwright--transport-notify
       (cons 'standalone conn) "workspace/didChangeWorkspaceFolders"
       (list :event (list :added (vector (list :uri (concat "file://" (url-hexify-string
                                                                       root (url--allowed-chars
                                                                             (cons ?/ url-unreserved-chars))))
                                               :name (file-name-nondirectory root)))
                          :removed []))))))

(defun ghostwright--standalone-close ()
  "Close the buffer's document on the own connection."
  (when ghostwright--opened
    (ghostwright--transport-notify (cons 'standalone ghostwright--opened) "textDocument/didClose"
                                   (list :textDocument (list :uri (ghostwright--uri)))))
  (remove-hook 'before-change-functions #'ghostwright--before-change t)
  (remove-hook 'after-change-functions #'ghostwright--after-change t)
  (setq ghostwright--opened nil))

;;; Document sync

(defun ghostwright--before-change (beg end)
  "Remember the LSP range of BEG..END, about to change."
  (when ghostwright--opened
    (setq ghostwright--before-change
          (list beg end (ghostwright--position beg ghostwright--encoding)
                (ghostwright--position end ghostwright--encoding)))))

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
      (ghostwright--transport-notify
       (cons 'standalone ghostwright--opened) "textDocument/didChange"
       (list :textDocument (list :uri (ghostwright--uri) :version ghostwright--version)
             :contentChanges (vector change))))))

(defun ghostwright--standalone-shutdown ()
  "Stop the own connection's server, if running."
  (when ghostwright--connection
    (let ((conn ghostwright--connection))
      (setq ghostwright--connection nil)
      (ignore-errors (jsonrpc-request conn :shutdown nil :timeout 5))
      (ignore-errors (jsonrpc-notify conn :exit nil))
      (ignore-errors (jsonrpc-shutdown conn t)))))

(provide 'ghostwright-jsonrpc)
;;; ghostwright-jsonrpc.el ends here
